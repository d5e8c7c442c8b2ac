"""Everyone who is not a party to a call, against every way in: the three socket routes and the call
endpoints. Another resident, an agent of another station of the same county, an agent of another county,
a reviewer of another county's workstation, a city department's staff, anonymous: each is refused, learns
nothing (a foreign call is 404 over HTTP), nothing is relayed to the parties, and nothing changes."""
import pytest
from rest_framework.test import APIClient

from accounts.models import User
from calls import services
from calls.models import Call, CallEvent, CallInvitation, Participant
from tests.support.calls import adb, make_booking, make_resident, make_staff, open_socket, room

OUTSIDERS = ["other_resident", "agent_of_other_station", "agent_of_other_county", "reviewer_of_other_county",
             "city_department", "anonymous"]


def make_outsider(org, who) -> User | None:
    reviewer = {"role": User.Role.REVIEWER, "is_agent": False, "is_reviewer": True}
    return {
        "other_resident": lambda: make_resident(org),  # same township as the party, even
        "agent_of_other_station": lambda: make_staff(org.station1b),
        "agent_of_other_county": lambda: make_staff(org.station2a),
        "reviewer_of_other_county": lambda: make_staff(org.workstation2, **reviewer),
        "city_department": lambda: make_staff(org.department, **reviewer),
        "anonymous": lambda: None,
    }[who]()


def make_scene(org) -> dict:
    """A booked call of a resident at station 1a, and an ad hoc call from that station ringing workstation 1."""
    resident = make_resident(org)
    agent = make_staff(org.station1a)
    make_staff(org.workstation1, role=User.Role.REVIEWER, is_agent=False, is_reviewer=True)
    booking = make_booking(org, resident=resident)
    ringing = services.call_start(caller=agent, unit_ids=[org.workstation1.pk], topic="会商")
    return {"resident": resident, "agent": agent, "booked": booking.call, "ringing": ringing}


def snapshot(scene) -> dict:
    calls = [scene["booked"].pk, scene["ringing"].pk]
    return {
        "calls": sorted(Call.objects.filter(pk__in=calls).values_list("status", "case_id")),
        "invitations": sorted(CallInvitation.objects.filter(call_id__in=calls).values_list("status", "answered_by")),
        "places": sorted(Participant.objects.filter(call_id__in=calls).values_list("user_id", "state")),
        "events": CallEvent.objects.filter(call_id__in=calls).count(),
    }


# --- WebSockets ---------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("who", OUTSIDERS)
async def test_outsiders_are_refused_on_every_socket_route_and_nothing_reaches_the_parties(calls_org, who):
    scene = await adb(make_scene)(calls_org)
    outsider = await adb(make_outsider)(calls_org, who)
    refused_with = 4401 if outsider is None else 4403
    booked, ringing = str(scene["booked"].pk), str(scene["ringing"].pk)
    agent_room = await room(booked, scene["agent"])
    await agent_room.join()
    resident_room = await room(booked, scene["resident"])
    waiting_id = (await resident_room.join())["participant_id"]
    party_console = await open_socket(f"/ws/stations/{calls_org.station1a.pk}/", scene["agent"])
    await party_console.expect("waiting-list")
    for socket in (agent_room, resident_room, party_console):
        await socket.drain()
    before = await adb(snapshot)(scene)

    # The room and the party's console: closed before anything is sent to or relayed from the outsider.
    for path in (f"/ws/calls/{booked}/", f"/ws/calls/{ringing}/", f"/ws/stations/{calls_org.station1a.pk}/"):
        socket = await open_socket(path, outsider)
        assert await socket.closed() == refused_with, path
        assert not [m for m in socket.log if m["type"] != "__closed__"], (path, socket.log)

    if outsider is None:
        assert await (await open_socket("/ws/me/", None)).closed() == 4401
    else:
        # Their own inbox (and console, for staff) opens, but reaches none of these calls.
        inbox = await open_socket("/ws/me/", outsider)
        await inbox.expect("hello")
        for message in ({"type": "accept", "call_id": ringing}, {"type": "decline", "call_id": ringing},
                        {"type": "accept", "call_id": booked}):
            await inbox.send(message)
            assert (await inbox.expect("error"))["code"] in {"not_found", "forbidden"}, message
        if outsider.is_staff_member:
            own_unit = await adb(lambda: outsider.memberships.first().unit_id)()
            console = await open_socket(f"/ws/stations/{own_unit}/", outsider)
            await console.expect("waiting-list")
            for message in ({"type": "admit", "call_id": booked, "participant_id": waiting_id},
                            {"type": "admit", "call_id": booked, "all": True},
                            {"type": "accept", "call_id": ringing}):
                await console.send(message)
                assert (await console.expect("error"))["code"] == "not_found", message

    for socket in (agent_room, resident_room, party_console):
        assert await socket.nothing(), socket.log[-3:]
    assert await adb(snapshot)(scene) == before


# --- HTTP -----------------------------------------------------------------------------------------

def call_requests(scene, org) -> list[tuple[str, str, dict]]:
    requests = []
    for call in (scene["booked"], scene["ringing"]):
        base = f"/api/v1/calls/{call.pk}"
        requests += [("get", f"{base}/", {}), ("post", f"{base}/invite/", {"unit_id": org.workstation1.pk}),
                     ("post", f"{base}/accept/", {}), ("post", f"{base}/decline/", {}),
                     ("post", f"{base}/hangup/", {}), ("post", f"{base}/case/", {"item": org.item.pk}),
                     ("get", "/api/v1/calls/ice-servers/", {"call": str(call.pk)})]
    return requests


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_for_a_call_over_http_and_change_nothing(calls_org_db, who):
    scene = make_scene(calls_org_db)
    outsider = make_outsider(calls_org_db, who)
    client = APIClient()
    if outsider is not None:
        client.force_authenticate(outsider)
    before = snapshot(scene)
    for method, url, body in call_requests(scene, calls_org_db):
        response = client.get(url, body) if method == "get" else client.post(url, body, format="json")
        if outsider is None:
            expected = {401, 403}  # not signed in
        elif outsider.is_staff_member or url.endswith(("/accept/", "/decline/")) or "ice-servers" in url:
            expected = {404}  # the call is not theirs: it does not exist for them
        else:
            expected = {403}  # a staff-only endpoint, refused on the role before any call is looked up
        assert response.status_code in expected, (who, method, url, response.status_code, response.content[:200])
        assert response["Content-Type"].startswith("application/json")
        assert str(scene["resident"].real_name) not in response.content.decode()
    assert snapshot(scene) == before
