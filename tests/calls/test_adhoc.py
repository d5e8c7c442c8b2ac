"""Calls any party starts: ringing reaches exactly the on-duty staff, accept / decline / missed, the room."""
import pytest
import time_machine
from django.utils import timezone

from accounts.models import Notification, User
from calls import services
from calls.models import Call, CallEvent, CallInvitation
from core.errors import ServiceError
from tests.support.calls import adb, make_resident, make_staff, open_socket, room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def console(unit, user):
    socket = await open_socket(f"/ws/stations/{unit.pk}/", user)
    assert socket.connected
    assert (await socket.expect("hello"))["user_id"] == user.pk
    await socket.expect("waiting-list")
    return socket


async def inbox(user):
    socket = await open_socket("/ws/me/", user)
    assert socket.connected
    await socket.expect("hello")
    return socket


async def test_console_and_inbox_refuse_strangers(calls_org):
    agent = await adb(make_staff)(calls_org.station1a)
    resident = await adb(make_resident)(calls_org)
    assert await (await open_socket(f"/ws/stations/{calls_org.station1a.pk}/", None)).closed() == 4401
    assert await (await open_socket(f"/ws/stations/{calls_org.station1b.pk}/", agent)).closed() == 4403
    assert await (await open_socket(f"/ws/stations/{calls_org.station1a.pk}/", resident)).closed() == 4403
    assert await (await open_socket("/ws/me/", None)).closed() == 4401


async def test_ringing_reaches_exactly_the_on_duty_staff_of_the_called_unit(calls_org):
    caller = await adb(make_staff)(calls_org.station1a)
    on_duty = await adb(make_staff)(calls_org.workstation1, role=User.Role.REVIEWER, is_agent=False)
    on_duty_inbox_only = await adb(make_staff)(calls_org.workstation1, role=User.Role.REVIEWER, is_agent=False)
    off_duty = await adb(make_staff)(calls_org.workstation1, role=User.Role.REVIEWER, is_agent=False,
                                     on_duty=False)
    other_unit = await adb(make_staff)(calls_org.workstation2, role=User.Role.REVIEWER, is_agent=False)
    caller_console = await console(calls_org.station1a, caller)
    a = await console(calls_org.workstation1, on_duty)
    b = await inbox(on_duty_inbox_only)
    c = await console(calls_org.workstation1, off_duty)
    d = await console(calls_org.workstation2, other_unit)

    call = await adb(services.call_start)(caller=caller, unit_ids=[calls_org.workstation1.pk], topic="慢病认定会商",
                                          case_id=77)
    for socket in (a, b):
        ringing = await socket.expect("ringing")
        assert ringing["call_id"] == str(call.pk) and ringing["unit_id"] == calls_org.workstation1.pk
        assert ringing["from"]["unit"] == calls_org.station1a.name and ringing["topic"] == "慢病认定会商"
        assert ringing["case_id"] == 77
    for socket in (c, d, caller_console):
        assert not [m for m in await socket.drain() if m["type"] == "ringing"]

    # The first to accept takes the call; the colleague's ringing stops; the caller hears of it.
    await a.send({"type": "accept", "call_id": str(call.pk)})
    assert (await a.expect("answer-ok"))["accepted"] is True
    assert (await b.expect("ringing-stopped"))["reason"] == "answered"
    status = await caller_console.expect("call-status")
    assert status["status"] == "active" and status["invitation"]["status"] == "accepted"
    await b.send({"type": "accept", "call_id": str(call.pk)})
    assert (await b.expect("error"))["code"] == "conflict"
    # Who may enter: the caller and the colleague who accepted, not the one who did not.
    assert await (await open_socket(f"/ws/calls/{call.pk}/", on_duty_inbox_only)).closed() == 4403
    caller_room = await room(call.pk, caller)
    assert (await caller_room.join())["state"] == "admitted"
    reviewer_room = await room(call.pk, on_duty)
    assert (await reviewer_room.join())["state"] == "admitted"
    await caller_room.expect("peer-joined")
    kinds = await adb(lambda: list(CallEvent.objects.filter(call=call).values_list("kind", flat=True)))()
    assert kinds[:2] == ["rang", "accepted"]


async def test_resident_rings_on_the_app_or_gets_an_sms(calls_org, sms_outbox):
    caller = await adb(make_staff)(calls_org.station1a)
    online = await adb(make_resident)(calls_org)
    offline = await adb(make_resident)(calls_org)
    phone_socket = await inbox(online)
    call = await adb(services.call_start)(caller=caller, resident_id=online.pk)
    ringing = await phone_socket.expect("ringing")
    assert ringing["call_id"] == str(call.pk) and ringing["from"]["unit"] == calls_org.station1a.name
    assert sms_outbox == []

    second = await adb(services.call_start)(caller=caller, resident_id=offline.pk)
    assert [m["phone"] for m in sms_outbox] == [offline.phone]
    assert f"/calls/{second.pk}/" in sms_outbox[0]["message"]
    notice = await adb(Notification.objects.get)(user=offline, kind="call_ringing")
    assert notice.sent_sms and notice.link.endswith(f"/calls/{second.pk}/")

    # The called resident is admitted directly (no waiting room); joining answers the call.
    resident_room = await room(second.pk, offline)
    joined = await resident_room.join()
    assert joined["state"] == "admitted"
    invitation = await adb(CallInvitation.objects.get)(call=second, user=offline)
    assert invitation.status == "accepted"
    # Another resident of the same township is not the callee: refused.
    neighbour = await adb(make_resident)(calls_org)
    assert await (await open_socket(f"/ws/calls/{second.pk}/", neighbour)).closed() == 4403


async def test_decline_ends_a_call_nobody_else_answers(calls_org):
    caller = await adb(make_staff)(calls_org.station1a)
    reviewer = await adb(make_staff)(calls_org.department, role=User.Role.REVIEWER, is_agent=False)
    caller_console = await console(calls_org.station1a, caller)
    reviewer_console = await console(calls_org.department, reviewer)
    call = await adb(services.call_start)(caller=caller, unit_ids=[calls_org.department.pk])
    caller_room = await room(call.pk, caller)
    await caller_room.join()
    await reviewer_console.expect("ringing")
    await reviewer_console.send({"type": "decline", "call_id": str(call.pk)})
    assert (await reviewer_console.expect("answer-ok"))["accepted"] is False
    declined = await caller_console.expect("call-status", status="ringing")
    assert declined["invitation"]["status"] == "declined"
    ended = await caller_console.expect("call-status", status="ended")
    assert ended["reason"] == "declined"
    status = await caller_room.expect("call-status", status="ended")
    assert status["reason"] == "declined"
    assert await caller_room.closed() == 1000
    call = await adb(Call.objects.get)(pk=call.pk)
    assert call.status == "ended"
    assert await adb(CallEvent.objects.filter(call=call, kind="declined", user=reviewer).exists)()


async def test_unanswered_call_is_missed_after_60_seconds(calls_org):
    caller = await adb(make_staff)(calls_org.station1a)
    resident = await adb(make_resident)(calls_org)
    caller_console = await console(calls_org.station1a, caller)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        call = await adb(services.call_start)(caller=caller, resident_id=resident.pk)
    with time_machine.travel(start + timezone.timedelta(seconds=59), tick=False):
        await adb(services.call_sweep)()
        assert (await adb(Call.objects.get)(pk=call.pk)).status == "ringing"
    with time_machine.travel(start + timezone.timedelta(seconds=61), tick=False):
        assert await adb(services.call_sweep)() == 1
    missed = await caller_console.expect("call-status", status="missed")
    assert missed["call_id"] == str(call.pk)
    call = await adb(Call.objects.get)(pk=call.pk)
    assert call.status == "missed"
    invitation = await adb(CallInvitation.objects.get)(call=call)
    assert invitation.status == "missed"
    event = await adb(CallEvent.objects.get)(call=call, kind="missed", user=resident)
    assert event.at == start + timezone.timedelta(seconds=60)
    # Answering afterwards is refused; entering too.
    with pytest.raises(ServiceError) as late:
        await adb(services.call_answer)(call_id=call.pk, user=resident, accept=True)
    assert late.value.code == "call_over"
    assert await (await open_socket(f"/ws/calls/{call.pk}/", resident)).closed() == 4410


async def test_three_party_ad_hoc_room(calls_org):
    """Station agent calls the county workstation and a resident; all three end up in one mesh."""
    agent = await adb(make_staff)(calls_org.station1a)
    reviewer = await adb(make_staff)(calls_org.workstation1, role=User.Role.REVIEWER, is_agent=False)
    resident = await adb(make_resident)(calls_org)
    call = await adb(services.call_start)(caller=agent, resident_id=resident.pk,
                                          unit_ids=[calls_org.workstation1.pk])
    agent_room = await room(call.pk, agent)
    aj = await agent_room.join()
    await adb(services.call_answer)(call_id=call.pk, user=reviewer, accept=True)
    reviewer_room = await room(call.pk, reviewer)
    vj = await reviewer_room.join()
    resident_room = await room(call.pk, resident)
    rj = await resident_room.join()
    assert {aj["state"], vj["state"], rj["state"]} == {"admitted"}
    peers = await resident_room.expect("peers")
    assert {p["participant_id"] for p in peers["peers"]} == {aj["participant_id"], vj["participant_id"]}
    await resident_room.send({"type": "offer", "to": vj["participant_id"], "sdp": "x"})
    assert (await reviewer_room.expect("offer"))["from"] == rj["participant_id"]


async def test_caller_can_hold_someone_in_the_waiting_room_and_admit_again(calls_org):
    agent = await adb(make_staff)(calls_org.station1a)
    resident = await adb(make_resident)(calls_org)
    call = await adb(services.call_start)(caller=agent, resident_id=resident.pk)
    agent_room = await room(call.pk, agent)
    aj = await agent_room.join()
    resident_room = await room(call.pk, resident)
    rj = await resident_room.join()
    await agent_room.expect("peer-joined")
    await resident_room.send({"type": "hold", "participant_id": aj["participant_id"]})
    assert (await resident_room.expect("error"))["code"] == "forbidden"
    await agent_room.send({"type": "hold", "participant_id": rj["participant_id"]})
    await agent_room.expect("hold-ok")
    assert (await agent_room.expect("peer-left"))["reason"] == "held"
    await resident_room.expect("held")
    assert (await resident_room.expect("waiting"))["position"] == 1
    await resident_room.send({"type": "offer", "to": aj["participant_id"], "sdp": "x"})
    assert (await resident_room.expect("error"))["code"] == "not_admitted"
    await agent_room.send({"type": "admit", "participant_id": rj["participant_id"]})
    await resident_room.expect("admitted")
    assert [p["participant_id"] for p in (await resident_room.expect("peers"))["peers"]] == [aj["participant_id"]]
    assert await adb(CallEvent.objects.filter(call=call, kind="held").exists)()
