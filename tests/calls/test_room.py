"""The call room over real sockets: who may enter, the waiting room, signaling, limits, reconnection."""
import asyncio
import json
import uuid

import pytest
from django.test import override_settings

from accounts.models import User
from bookings.models import Booking, BookingEvent, Material
from calls.models import Call, CallEvent, Participant
from core.errors import ServiceError
from tests.support.calls import adb, make_booking, make_resident, make_staff, open_socket, room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def booked(calls_org, **kw):
    """A resident, an agent of the booked station, the booking and its call id."""
    resident = await adb(make_resident)(calls_org)
    agent = await adb(make_staff)(calls_org.station1a)
    booking = await adb(make_booking)(calls_org, resident=resident, **kw)
    call_id = await adb(lambda: str(booking.call.pk))()
    return resident, agent, booking, call_id


async def admitted_pair(calls_org):
    """Resident waiting then admitted by the agent; both sockets, with the resident's peers message read."""
    resident, agent, booking, call_id = await booked(calls_org)
    agent_socket = await room(call_id, agent)
    agent_joined = await agent_socket.join()
    resident_socket = await room(call_id, resident)
    resident_joined = await resident_socket.join()
    assert resident_joined["state"] == "waiting"
    await agent_socket.send({"type": "admit", "participant_id": resident_joined["participant_id"]})
    await agent_socket.expect("admit-ok")
    await resident_socket.expect("admitted")
    peers = await resident_socket.expect("peers")
    assert [p["participant_id"] for p in peers["peers"]] == [agent_joined["participant_id"]]
    await agent_socket.expect("peer-joined")
    return resident, agent, booking, call_id, resident_socket, agent_socket, resident_joined, agent_joined


# --- Who may enter --------------------------------------------------------------------------------

async def test_anonymous_socket_is_closed_4401(calls_org):
    _, _, _, call_id = await booked(calls_org)
    socket = await open_socket(f"/ws/calls/{call_id}/", None)
    assert await socket.closed() == 4401


async def test_stranger_is_closed_4403_before_anything_is_relayed(calls_org):
    resident, agent, booking, call_id = await booked(calls_org)
    stranger = await adb(make_resident)(calls_org)
    other_agent = await adb(make_staff)(calls_org.station1b)  # an agent, but of another station
    for user in (stranger, other_agent):
        socket = await open_socket(f"/ws/calls/{call_id}/", user)
        assert await socket.closed() == 4403
    assert not await adb(Participant.objects.filter(call_id=call_id).exists)()


async def test_unknown_call_is_closed_4404(calls_org):
    resident = await adb(make_resident)(calls_org)
    socket = await open_socket("/ws/calls/00000000-0000-0000-0000-000000000000/", resident)
    assert await socket.closed() == 4404


async def test_foreign_origin_is_refused(calls_org):
    resident, agent, booking, call_id = await booked(calls_org)
    socket = await open_socket(f"/ws/calls/{call_id}/", resident, origin="https://evil.example")
    assert not socket.connected
    socket = await open_socket(f"/ws/calls/{call_id}/", resident, origin="")
    assert not socket.connected
    socket = await open_socket(f"/ws/calls/{call_id}/", resident)
    assert socket.connected


async def test_proxy_who_booked_may_enter_and_waits(calls_org):
    resident = await adb(make_resident)(calls_org)
    proxy = await adb(make_resident)(calls_org)
    booking = await adb(make_booking)(calls_org, resident=resident, booked_by=proxy)
    call_id = await adb(lambda: str(booking.call.pk))()
    socket = await room(call_id, proxy)
    joined = await socket.join()
    assert joined["state"] == "waiting" and joined["me"]["role"] == "proxy"


async def test_reviewer_not_invited_is_refused_then_invited_enters(calls_org):
    resident, agent, booking, call_id, rs, ags, _, _ = await admitted_pair(calls_org)
    reviewer = await adb(make_staff)(calls_org.workstation1, role=User.Role.REVIEWER, is_agent=False,
                                     is_reviewer=True)
    socket = await open_socket(f"/ws/calls/{call_id}/", reviewer)
    assert await socket.closed() == 4403
    from calls import services

    console = await open_socket(f"/ws/stations/{calls_org.workstation1.pk}/", reviewer)
    await console.expect("waiting-list")
    await adb(services.call_invite)(call_id=call_id, actor=agent, user_id=reviewer.pk)
    notice = await console.expect("call-invite")
    assert notice["call_id"] == call_id and notice["booking_id"] == booking.pk
    reviewer_socket = await room(call_id, reviewer)
    joined = await reviewer_socket.join()
    assert joined["state"] == "admitted"
    peers = await reviewer_socket.expect("peers")
    assert len(peers["peers"]) == 2
    await rs.expect("peer-joined")
    await ags.expect("peer-joined")


# --- Waiting room and the booking's life cycle -----------------------------------------------------

async def test_waiting_room_console_sees_who_waits_and_admits(calls_org):
    resident, agent, booking, call_id = await booked(calls_org)
    requirement = calls_org.requirements[0]
    await adb(Material.objects.create)(booking=booking, requirement=requirement, file="x.jpg", file_type="jpeg",
                                       size=1, sha256="0" * 64, uploaded_by=resident)
    console = await open_socket(f"/ws/stations/{calls_org.station1a.pk}/", agent)
    first = await console.expect("waiting-list")
    assert first["waiting"] == []

    resident_socket = await room(call_id, resident)
    joined = await resident_socket.join()
    assert joined["state"] == "waiting"
    waiting = await resident_socket.expect("waiting")
    assert waiting["position"] == 1 and waiting["estimated_wait_seconds"] == 0

    listing = await console.expect("waiting-list")
    [entry] = listing["waiting"]
    assert entry["call_id"] == call_id and entry["booking_id"] == booking.pk
    assert entry["who"] != resident.real_name and entry["who"].startswith(resident.real_name[0])
    assert "*" in entry["who"]
    assert entry["materials"] == {"complete": False, "missing": ["诊断证明"]}
    assert entry["since"] and entry["connected"] is True
    await adb(booking.refresh_from_db)()
    assert booking.status == "checked_in"

    # Another resident of the same station waits behind: position 2, an estimate of one session.
    second_resident = await adb(make_resident)(calls_org)
    second = await adb(make_booking)(calls_org, resident=second_resident)
    second_call = await adb(lambda: str(second.call.pk))()
    second_socket = await room(second_call, second_resident)
    await second_socket.join()
    behind = await second_socket.expect("waiting")
    assert behind["position"] == 2 and behind["estimated_wait_seconds"] == 15 * 60
    # The console's list with both waiting (read here so the one after the admit is the next).
    both = await console.expect("waiting-list")
    assert [e["call_id"] for e in both["waiting"]] == [call_id, second_call]

    # Admit from the console (the agent has not joined the room yet).
    await console.send({"type": "admit", "call_id": call_id, "participant_id": joined["participant_id"]})
    ok = await console.expect("admit-ok")
    assert ok["admitted"] == [joined["participant_id"]]
    await resident_socket.expect("admitted")
    listing = await console.expect("waiting-list")
    assert [e["call_id"] for e in listing["waiting"]] == [second_call]
    moved = await second_socket.expect("waiting")
    assert moved["position"] == 1
    assert await adb(CallEvent.objects.filter(call_id=call_id, kind="admitted").count)() == 1


async def test_resident_cannot_admit_and_agent_admits_all(calls_org):
    resident = await adb(make_resident)(calls_org)
    proxy = await adb(make_resident)(calls_org)
    agent = await adb(make_staff)(calls_org.station1a)
    booking = await adb(make_booking)(calls_org, resident=resident, booked_by=proxy)
    call_id = await adb(lambda: str(booking.call.pk))()
    rs = await room(call_id, resident)
    await rs.join()
    ps = await room(call_id, proxy)
    await ps.join()
    await rs.send({"type": "admit", "all": True})
    error = await rs.expect("error")
    assert error["code"] == "forbidden"
    ags = await room(call_id, agent)
    await ags.join()
    await ags.send({"type": "admit", "all": True})
    ok = await ags.expect("admit-ok")
    assert len(ok["admitted"]) == 2
    # The first admitted gets the agent as peer; the second gets both and is told to offer to both.
    first_peers = await rs.expect("peers")
    second_peers = await ps.expect("peers")
    assert len(first_peers["peers"]) == 1 and len(second_peers["peers"]) == 2
    await rs.expect("peer-joined")


async def test_booking_moves_checked_in_in_call_completed(calls_org):
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    await adb(booking.refresh_from_db)()
    assert booking.status == "checked_in"
    await rs.send({"type": "media-state", "connection": "connected", "peer": aj["participant_id"]})
    state = await ags.expect("media-state")
    assert state["from"] == rj["participant_id"] and state["connection"] == "connected"
    await adb(booking.refresh_from_db)()
    assert booking.status == "in_call"
    await rs.send({"type": "media-state", "muted": True, "audio_only": True})
    await ags.expect("media-state", muted=True)
    # The resident may not hang up for everyone; the agent may.
    await rs.send({"type": "hangup"})
    assert (await rs.expect("error"))["code"] == "forbidden"
    await ags.send({"type": "hangup"})
    hangup = await rs.expect("hangup")
    assert hangup["by"]["participant_id"] == aj["participant_id"]
    assert await rs.closed() == 1000
    await adb(booking.refresh_from_db)()
    assert booking.status == "completed"
    moves = await adb(lambda: list(BookingEvent.objects.filter(booking=booking).values_list("to_status", flat=True)))()
    assert moves == ["checked_in", "in_call", "completed"]
    call = await adb(Call.objects.get)(pk=call_id)
    assert call.status == "ended" and call.started_at and call.ended_at
    kinds = await adb(lambda: list(CallEvent.objects.filter(call_id=call_id).values_list("kind", flat=True)))()
    for kind in ("joined", "waiting", "admitted", "media_state", "left", "ended"):
        assert kind in kinds
    media = await adb(lambda: list(CallEvent.objects.filter(call_id=call_id, kind="media_state")
                                   .values_list("detail", flat=True)))()
    assert {"muted": True, "audio_only": True} in media
    # A completed booking's room cannot be entered again.
    again = await open_socket(f"/ws/calls/{call_id}/", resident)
    assert await again.closed() == 4410


# --- Signaling ------------------------------------------------------------------------------------

async def test_offer_answer_candidate_go_to_the_named_peer_only(calls_org):
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    reviewer = await adb(make_staff)(calls_org.workstation1, role=User.Role.REVIEWER, is_agent=False)
    from calls import services

    await adb(services.call_invite)(call_id=call_id, actor=agent, user_id=reviewer.pk)
    vs = await room(call_id, reviewer)
    vj = await vs.join()
    await vs.expect("peers")
    await rs.expect("peer-joined")
    await ags.expect("peer-joined")

    await rs.send({"type": "offer", "to": aj["participant_id"], "sdp": "v=0 offer-for-agent"})
    offer = await ags.expect("offer")
    assert offer == {"type": "offer", "from": rj["participant_id"], "sdp": "v=0 offer-for-agent"}
    signaling = {"offer", "answer", "ice-candidate"}
    assert not [m for m in await vs.drain() if m["type"] in signaling]  # the third participant saw none of it
    await ags.send({"type": "answer", "to": rj["participant_id"], "sdp": "v=0 answer"})
    answer = await rs.expect("answer")
    assert answer["from"] == aj["participant_id"]
    await rs.send({"type": "ice-candidate", "to": vj["participant_id"], "candidate": "candidate:1 1 udp 1 "
                   "127.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0})
    candidate = await vs.expect("ice-candidate")
    assert candidate["from"] == rj["participant_id"] and candidate["sdpMLineIndex"] == 0
    assert not [m for m in await ags.drain() if m["type"] in signaling]
    # Unknown peer: an error back, nothing relayed.
    await rs.send({"type": "offer", "to": str(uuid.uuid4()), "sdp": "x"})
    assert (await rs.expect("error"))["code"] == "unknown_peer"
    # Chat goes to everyone admitted.
    await ags.send({"type": "chat", "text": "您好，请出示身份证"})
    assert (await rs.expect("chat"))["text"] == "您好，请出示身份证"
    assert (await vs.expect("chat"))["from"] == aj["participant_id"]


async def test_waiting_resident_cannot_signal(calls_org):
    resident, agent, booking, call_id = await booked(calls_org)
    ags = await room(call_id, agent)
    aj = await ags.join()
    await ags.expect("peers")
    rs = await room(call_id, resident)
    await rs.join()
    await rs.send({"type": "offer", "to": aj["participant_id"], "sdp": "x"})
    assert (await rs.expect("error"))["code"] == "not_admitted"
    assert await ags.nothing()


async def test_bad_messages_get_an_error_and_the_room_survives(calls_org):
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    bad = [
        ("not json", "bad_json"),
        (json.dumps([1, 2]), "bad_message"),
        (json.dumps({"type": "teleport"}), "unknown_type"),
        (json.dumps({"type": "error"}), "unknown_type"),
        (json.dumps({"type": "offer", "sdp": "x"}), "missing_field"),
        (json.dumps({"type": "offer", "to": 5, "sdp": "x"}), "bad_field"),
        (json.dumps({"type": "offer", "to": "not-a-peer", "sdp": "x"}), "bad_field"),
        (json.dumps({"type": "ice-candidate", "to": aj["participant_id"], "sdpMLineIndex": True}), "bad_field"),
        (json.dumps({"type": "media-state"}), "missing_field"),
        (json.dumps({"type": "media-state", "connection": "teleported"}), "bad_field"),
        (json.dumps({"type": "chat", "text": ""}), "bad_field"),
        (json.dumps({"type": "join", "participant_id": "00000000-0000-0000-0000-000000000000"}),
         "bad_participant"),
    ]
    for raw, code in bad:
        await rs.send(raw)
        error = await rs.expect("error")
        assert error["code"] == code, (raw, error)
    # Still there, still relaying.
    await rs.send({"type": "offer", "to": aj["participant_id"], "sdp": "after the storm"})
    assert (await ags.expect("offer"))["sdp"] == "after the storm"
    await rs.send({"type": "ping", "ts": 1})
    assert (await rs.expect("pong"))["ts"] == 1


async def test_oversize_message_is_dropped(calls_org):
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    await rs.send({"type": "offer", "to": aj["participant_id"], "sdp": "x" * (64 * 1024)})
    assert (await rs.expect("error"))["code"] == "too_large"
    assert await ags.nothing()
    await rs.send({"type": "offer", "to": aj["participant_id"], "sdp": "x" * (60 * 1024)})
    assert len((await ags.expect("offer"))["sdp"]) == 60 * 1024


async def test_rate_limit_drops_the_excess_then_recovers(calls_org):
    with override_settings(CALL_MESSAGE_RATE=5, CALL_MESSAGE_BURST=10):
        resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
        for n in range(25):
            await rs.send({"type": "ice-candidate", "to": aj["participant_id"], "candidate": f"c{n}"})
        relayed = sum(m["type"] == "ice-candidate" for m in await ags.drain(0.5))
        errors = sum(m.get("code") == "rate_limited" for m in await rs.drain(0.3))
        assert 9 <= relayed <= 13 and relayed + errors == 25  # burst 10, one spent on join
        await asyncio.sleep(0.5)
        await rs.send({"type": "chat", "text": "still here"})
        assert (await ags.expect("chat"))["text"] == "still here"


async def test_fifth_participant_is_refused_with_an_sfu_message(calls_org):
    resident = await adb(make_resident)(calls_org)
    proxy = await adb(make_resident)(calls_org)
    agent = await adb(make_staff)(calls_org.station1a)
    booking = await adb(make_booking)(calls_org, resident=resident, booked_by=proxy)
    call_id = await adb(lambda: str(booking.call.pk))()
    county = await adb(make_staff)(calls_org.workstation1, role=User.Role.REVIEWER, is_agent=False)
    city = await adb(make_staff)(calls_org.department, role=User.Role.REVIEWER, is_agent=False)
    second_agent = await adb(make_staff)(calls_org.station1a)
    from calls import services

    sockets = []
    for user in (agent, resident, proxy):
        socket = await room(call_id, user)
        await socket.join()
        sockets.append(socket)
    await adb(services.call_invite)(call_id=call_id, actor=agent, user_id=county.pk)
    fourth = await room(call_id, county)
    await fourth.join()
    # Inviting a fifth is refused at the API, and joining as a fifth is refused in the room.
    with pytest.raises(ServiceError) as refused:
        await adb(services.call_invite)(call_id=call_id, actor=agent, user_id=city.pk)
    assert refused.value.code == "room_full" and "SFU" in str(refused.value.detail)
    fifth = await room(call_id, second_agent)
    await fifth.send({"type": "join"})
    error = await fifth.expect("error")
    assert error["code"] == "room_full" and "SFU" in error["detail"] and "4" in error["detail"]
    assert await fifth.closed() == 4409
    assert await adb(Participant.objects.filter(call_id=call_id).count)() == 4
    assert await adb(CallEvent.objects.filter(call_id=call_id, kind="refused").count)() == 1


# --- Presence and reconnection --------------------------------------------------------------------

async def test_dropped_socket_keeps_its_place_and_rejoins(calls_org):
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    await rs.close()
    dropped = await ags.expect("peer-disconnected")
    assert dropped["participant_id"] == rj["participant_id"] and dropped["grace_seconds"] == 60
    place = await adb(Participant.objects.get)(pk=rj["participant_id"])
    assert place.state == "admitted" and place.channel_name is None and place.disconnected_at

    back = await room(call_id, resident)
    joined = await back.join(participant_id=rj["participant_id"])
    assert joined["rejoined"] is True and joined["participant_id"] == rj["participant_id"]
    assert joined["state"] == "admitted"  # no second trip through the waiting room
    peers = await back.expect("peers")
    assert [p["participant_id"] for p in peers["peers"]] == [aj["participant_id"]]
    rejoined = await ags.expect("peer-rejoined")
    assert rejoined["peer"]["participant_id"] == rj["participant_id"]
    # The new socket is reachable at once: a restart offer goes through both ways.
    await back.send({"type": "offer", "to": aj["participant_id"], "sdp": "restart", "ice_restart": True})
    assert (await ags.expect("offer"))["ice_restart"] is True
    await ags.send({"type": "answer", "to": rj["participant_id"], "sdp": "ok"})
    assert (await back.expect("answer"))["sdp"] == "ok"
    kinds = await adb(lambda: list(CallEvent.objects.filter(call_id=call_id).values_list("kind", flat=True)))()
    assert "disconnected" in kinds and "rejoined" in kinds


async def test_a_peer_that_missed_the_rejoin_learns_it_from_the_first_relay(calls_org, monkeypatch):
    """After a Redis restart the notices of a drop and a rejoin can be lost (pub/sub keeps nothing for a process
    still subscribing again), leaving the agent's socket with the resident's old channel: relays to it vanished."""
    from calls.services import delivery

    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    agent_channel = await adb(lambda: Participant.objects.get(pk=aj["participant_id"]).channel_name)()
    deliver = delivery.deliver
    monkeypatch.setattr(delivery, "deliver", lambda items: deliver([i for i in items if i[1] != agent_channel]))
    await rs.close()
    back = await room(call_id, resident)
    assert (await back.join(participant_id=rj["participant_id"]))["rejoined"] is True
    await back.expect("peers")
    assert await ags.nothing()  # neither `peer-disconnected` nor `peer-rejoined` reached the agent
    monkeypatch.setattr(delivery, "deliver", deliver)

    # The rejoiner offers (as its page does on `peers`): the agent's page is told of the rejoin first, then gets
    # the offer, and its answer goes to the resident's new socket.
    await back.send({"type": "offer", "to": aj["participant_id"], "sdp": "fresh"})
    late, offer = await ags.recv(), await ags.recv()
    assert late["type"] == "peer-rejoined" and late["peer"]["participant_id"] == rj["participant_id"]
    assert late["peer"]["connected"] is True
    assert offer["type"] == "offer" and offer["sdp"] == "fresh" and offer["from"] == rj["participant_id"]
    await ags.send({"type": "answer", "to": rj["participant_id"], "sdp": "ok"})
    assert (await back.expect("answer"))["sdp"] == "ok"
    # Told once: the next relay from the same socket is just relayed.
    await back.send({"type": "ice-candidate", "to": aj["participant_id"], "candidate": None})
    assert [m["type"] for m in await ags.drain()] == ["ice-candidate"]


async def test_a_relay_from_a_socket_the_peer_no_longer_holds_is_dropped(calls_org):
    from channels.layers import get_channel_layer

    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    agent_channel = await adb(lambda: Participant.objects.get(pk=aj["participant_id"]).channel_name)()
    stale = await get_channel_layer().new_channel()
    await get_channel_layer().send(agent_channel, {
        "type": "room.relay", "call_id": call_id, "channel": stale,
        "payload": {"type": "offer", "from": rj["participant_id"], "sdp": "from an old socket"}})
    assert await ags.nothing()
    await rs.send({"type": "offer", "to": aj["participant_id"], "sdp": "current"})
    assert [m["type"] for m in await ags.drain()] == ["offer"]


async def test_second_socket_takes_over_the_place(calls_org):
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    other_tab = await room(call_id, resident)
    joined = await other_tab.join()
    assert joined["participant_id"] == rj["participant_id"] and joined["rejoined"]
    replaced = await rs.expect("error")
    assert replaced["code"] == "replaced"
    assert await rs.closed() == 4000
    await ags.expect("peer-rejoined")
    place = await adb(Participant.objects.get)(pk=rj["participant_id"])
    assert place.channel_name is not None  # the old socket's close did not free the place


async def test_place_is_lost_after_the_grace_period(calls_org):
    import time_machine
    from django.utils import timezone

    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    await rs.close()
    await ags.expect("peer-disconnected")
    from calls import services

    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=61), tick=False):
        await adb(services.call_sweep)()
    left = await ags.expect("peer-left")
    assert left["participant_id"] == rj["participant_id"] and left["reason"] == "timeout"
    place = await adb(Participant.objects.get)(pk=rj["participant_id"])
    assert place.state == "left"
    # Coming back after that is a fresh entry: through the waiting room again.
    back = await room(call_id, resident)
    joined = await back.join(participant_id=rj["participant_id"])
    assert joined["rejoined"] is False and joined["state"] == "waiting"


async def test_ping_is_a_heartbeat(calls_org):
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    before = (await adb(Participant.objects.get)(pk=rj["participant_id"])).last_seen_at
    await asyncio.sleep(0.05)
    await rs.send({"type": "ping", "ts": 42})
    pong = await rs.expect("pong")
    assert pong["ts"] == 42 and pong["server_time"]
    after = (await adb(Participant.objects.get)(pk=rj["participant_id"])).last_seen_at
    assert after > before


async def test_state_lives_in_the_database_not_the_process(calls_org):
    """A new consumer (as after a Daphne restart) finds the room as it was: places, admitted flags."""
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    rows = await adb(lambda: {str(p.pk): p.state for p in Participant.objects.filter(call_id=call_id)})()
    assert rows == {rj["participant_id"]: "admitted", aj["participant_id"]: "admitted"}
    # Simulate the process dying: no disconnect handler runs, the sockets just stop.
    await adb(Participant.objects.filter(call_id=call_id).update)(channel_name="specific.dead-process!x")
    back_agent = await room(call_id, agent)
    joined = await back_agent.join(participant_id=aj["participant_id"])
    assert joined["rejoined"] and joined["state"] == "admitted"
    back_resident = await room(call_id, resident)
    joined = await back_resident.join(participant_id=rj["participant_id"])
    assert joined["state"] == "admitted"
    await back_agent.expect("peer-rejoined")
    await back_resident.send({"type": "offer", "to": aj["participant_id"], "sdp": "again"})
    assert (await back_agent.expect("offer"))["sdp"] == "again"
    assert await adb(Booking.objects.filter(pk=booking.pk, status="checked_in").exists)()


async def test_the_station_console_hears_each_move_of_the_booking(calls_org):
    """The console's booking table follows the call: each booking move reaches the unit's station socket."""
    desk = await adb(make_staff)(calls_org.station1a)
    station = await open_socket(f"/ws/stations/{calls_org.station1a.pk}/", desk)
    await station.expect("hello")
    resident, agent, booking, call_id, rs, ags, rj, aj = await admitted_pair(calls_org)
    assert (await station.expect("booking-status", status="checked_in"))["booking_id"] == booking.pk
    await rs.send({"type": "media-state", "connection": "connected", "peer": aj["participant_id"]})
    moved = await station.expect("booking-status", status="in_call")
    assert moved["booking_id"] == booking.pk and moved["call_id"] == call_id
    await ags.send({"type": "hangup"})
    await station.expect("booking-status", status="completed", booking_id=booking.pk)
