"""Who may read what of a call through the API, decided by calls.selectors (call_get_for_room,
call_get_for_viewer): 404 to a stranger (an id must not confirm a call), 403 in the request's language to
someone who knows of the call without the right, and the answers' shapes from calls.serializers."""
import uuid

import pytest

from accounts.models import User
from calls import services
from tests.factories import client_for
from tests.support.calls import make_booking, make_resident, make_staff

pytestmark = pytest.mark.django_db

NOT_IN_ROOM = ("您无权进入此通话。", "You are not allowed to join this call.")
NOT_A_VIEWER = ("您无权查看此通话。", "You are not allowed to view this call.")
NO_CALL = ("找不到该通话。", "Call not found.")


def _refused(client, path, query=None) -> list[tuple[int, str, str]]:
    """(status, code, detail) in Chinese (the default), then in English."""
    answers = [client.get(path, query), client.get(path, query, HTTP_ACCEPT_LANGUAGE="en")]
    return [(answer.status_code, answer.json()["code"], answer.json()["detail"]) for answer in answers]


def test_ice_credentials_for_a_call_only_for_someone_with_a_place_in_its_room(calls_org_db):
    o = calls_org_db
    resident = make_resident(o)
    booking = make_booking(o, resident=resident)
    query = {"call": str(booking.call.pk)}
    # A reviewer of the host unit knows the call (its log) but has no place in the room of a booked call.
    reviewer = make_staff(o.station1a, role=User.Role.REVIEWER, is_agent=False, is_reviewer=True)
    assert _refused(client_for(reviewer), "/api/v1/calls/ice-servers/", query) == [
        (403, "forbidden", NOT_IN_ROOM[0]), (403, "forbidden", NOT_IN_ROOM[1])]
    stranger = client_for(make_resident(o))
    assert _refused(stranger, "/api/v1/calls/ice-servers/", query) == [
        (404, "not_found", NO_CALL[0]), (404, "not_found", NO_CALL[1])]
    for party in (resident, make_staff(o.station1a)):
        answer = client_for(party).get("/api/v1/calls/ice-servers/", query)
        assert answer.status_code == 200 and "iceServers" in answer.json()


def test_call_log_only_for_staff_who_may_view_it(calls_org_db):
    o = calls_org_db
    resident = make_resident(o)
    call = make_booking(o, resident=resident).call
    path = f"/api/v1/calls/{call.pk}/"
    # The resident has a place in the room but does not read the staff's call log (staff-only endpoint).
    assert client_for(resident).get(path).status_code == 403
    # An agent who was in the room and has since left the unit still knows of the call, but may not read it.
    former = make_staff(o.station1a)
    services.call_room_join(call_id=call.pk, user=former, channel_name="specific.f!1")
    former.memberships.all().delete()
    assert _refused(client_for(former), path) == [
        (403, "forbidden", NOT_A_VIEWER[0]), (403, "forbidden", NOT_A_VIEWER[1])]
    outsider = client_for(make_staff(o.station2a))
    assert _refused(outsider, path) == [(404, "not_found", NO_CALL[0]), (404, "not_found", NO_CALL[1])]
    assert client_for(make_staff(o.station1a)).get(f"/api/v1/calls/{uuid.uuid4()}/").status_code == 404

    reviewer = make_staff(o.station1a, role=User.Role.REVIEWER, is_agent=False, is_reviewer=True)
    body = client_for(reviewer).get(path).json()
    assert body["id"] == str(call.pk) and body["host_unit"] == {"id": o.station1a.pk, "name": o.station1a.name}
    assert body["booking_status"] == call.booking.status and body["status"] == "scheduled"
    assert [(p["role"], p["connected"], p["seconds_in_call"]) for p in body["participants"]] == [
        ("agent", True, 0)]
    assert (body["duration_seconds"], body["started_at"]) == (0, None)
    assert [event["kind"] for event in body["events"]][:2] == ["joined", "admitted"]


def test_the_days_calls_refuse_a_bad_date_in_both_languages(calls_org_db):
    agent = client_for(make_staff(calls_org_db.station1a))
    text = ("日期格式应为 YYYY-MM-DD。", "Dates must be in the format YYYY-MM-DD.")
    assert _refused(agent, "/api/v1/calls/", {"date": "2026-02-30"}) == [
        (400, "invalid", f"date: {text[0]}"), (400, "invalid", f"date: {text[1]}")]
    assert agent.get("/api/v1/calls/", {"date": ""}).status_code == 200  # a blank date is today


def test_answers_of_invite_answer_and_hang_up_come_in_their_documented_shapes(calls_org_db):
    o = calls_org_db
    agent = make_staff(o.station1a)
    colleague = make_staff(o.workstation1, role=User.Role.REVIEWER)
    call = make_booking(o, resident=make_resident(o)).call
    services.call_room_join(call_id=call.pk, user=agent, channel_name="specific.a!1")

    invited = client_for(agent).post(f"/api/v1/calls/{call.pk}/invite/", {"user_id": colleague.pk}, format="json")
    assert invited.status_code == 201
    body = invited.json()
    assert (body["call_id"], body["user_id"], body["unit_id"], body["status"]) == (
        str(call.pk), colleague.pk, None, "ringing")
    assert body["rings_until"]
    accepted = client_for(colleague).post(f"/api/v1/calls/{call.pk}/accept/")
    assert accepted.json() == {"call_id": str(call.pk), "status": "accepted", "room": f"/ws/calls/{call.pk}/"}
    hung_up = client_for(agent).post(f"/api/v1/calls/{call.pk}/hangup/")
    assert hung_up.json() == {"call_id": str(call.pk), "status": "ended"}
