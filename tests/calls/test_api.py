"""Calls API: who may call whom, ICE servers and TURN credentials, the call log, the day's list, the sweep."""
import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.validators import mask_name
from calls import services
from calls.models import Call, CallEvent, Participant
from config.celery import app as celery_app
from tests.factories import client_for
from tests.support.calls import make_booking, make_resident, make_staff

pytestmark = pytest.mark.django_db


def test_permission_table_of_who_may_call_whom(calls_org_db):
    o = calls_org_db
    resident_1a = make_resident(o, township=o.town1a)
    resident_1b = make_resident(o, township=o.town1b)
    resident_2a = make_resident(o, township=o.town2a)
    callers = {
        "station1a": make_staff(o.station1a),
        "workstation1": make_staff(o.workstation1, role=User.Role.REVIEWER),
        "department": make_staff(o.department, role=User.Role.REVIEWER),
    }
    table = [
        # caller, callee kind, callee, allowed
        ("station1a", "resident", resident_1a, True),
        ("station1a", "resident", resident_1b, False),
        ("station1a", "resident", resident_2a, False),
        ("station1a", "unit", o.workstation1, True),
        ("station1a", "unit", o.department, True),
        ("station1a", "unit", o.workstation2, False),
        ("station1a", "unit", o.station1b, False),
        ("station1a", "unit", o.station2a, False),
        ("workstation1", "resident", resident_1a, True),
        ("workstation1", "resident", resident_1b, True),
        ("workstation1", "resident", resident_2a, False),
        ("workstation1", "unit", o.station1a, True),
        ("workstation1", "unit", o.station1b, True),
        ("workstation1", "unit", o.station2a, False),
        ("workstation1", "unit", o.department, True),
        ("workstation1", "unit", o.workstation2, False),
        ("department", "resident", resident_2a, True),
        ("department", "unit", o.station2a, True),
        ("department", "unit", o.workstation2, True),
        ("department", "unit", o.station1a, True),
    ]
    for caller_key, kind, callee, allowed in table:
        body = {"resident_id": callee.pk} if kind == "resident" else {"unit_ids": [callee.pk]}
        response = client_for(callers[caller_key]).post("/api/v1/calls/", body, format="json")
        expected = 201 if allowed else 403
        assert response.status_code == expected, (caller_key, str(callee), response.json())
        if not allowed:
            assert response.json()["code"] == "call_not_allowed"
            assert "只能呼叫" in response.json()["detail"]
    assert Call.objects.filter(kind="ad_hoc").count() == sum(1 for row in table if row[3])
    # A resident may not start a call at all; an anonymous client neither.
    assert client_for(resident_1a).post("/api/v1/calls/", {"unit_ids": [o.station1a.pk]},
                                        format="json").status_code == 403
    assert APIClient().post("/api/v1/calls/", {"unit_ids": [o.station1a.pk]}, format="json").status_code == 403


def test_call_a_resident_by_phone_and_name_within_the_county(calls_org_db):
    o = calls_org_db
    resident = make_resident(o, township=o.town1b, real_name="王秀英")
    far = make_resident(o, township=o.town2a, real_name="李桂兰")
    workstation = client_for(make_staff(o.workstation1))
    response = workstation.post("/api/v1/calls/", {"resident_phone": resident.phone, "resident_name": "王秀英"},
                                format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["invitations"][0]["user"] == "王**"  # masked in the output
    assert resident.phone not in response.content.decode()
    wrong_name = workstation.post("/api/v1/calls/", {"resident_phone": resident.phone, "resident_name": "王秀"},
                                  format="json")
    assert wrong_name.status_code == 404
    other_county = workstation.post("/api/v1/calls/", {"resident_phone": far.phone, "resident_name": "李桂兰"},
                                    format="json")
    assert other_county.status_code == 404
    no_name = workstation.post("/api/v1/calls/", {"resident_phone": resident.phone}, format="json")
    assert no_name.status_code == 400 and no_name.json()["code"] == "missing_field"
    nobody = workstation.post("/api/v1/calls/", {}, format="json")
    assert nobody.status_code == 400


def test_accept_and_decline_endpoints(calls_org_db):
    o = calls_org_db
    caller = make_staff(o.station1a)
    reviewer = make_staff(o.workstation1, role=User.Role.REVIEWER)
    colleague = make_staff(o.workstation1, role=User.Role.REVIEWER)
    stranger = make_staff(o.workstation2, role=User.Role.REVIEWER)
    call = services.call_start(caller=caller, unit_ids=[o.workstation1.pk])
    assert client_for(stranger).post(f"/api/v1/calls/{call.pk}/accept/").status_code == 404
    accepted = client_for(reviewer).post(f"/api/v1/calls/{call.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert client_for(reviewer).post(f"/api/v1/calls/{call.pk}/accept/").status_code == 200  # idempotent
    taken = client_for(colleague).post(f"/api/v1/calls/{call.pk}/accept/")
    assert taken.status_code == 409 and "其他同事" in taken.json()["detail"]
    call.refresh_from_db()
    assert call.status == "active" and call.started_at

    second = services.call_start(caller=caller, unit_ids=[o.workstation1.pk])
    declined = client_for(colleague).post(f"/api/v1/calls/{second.pk}/decline/")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    second.refresh_from_db()
    assert second.status == "ended"


def test_missed_shows_on_read_and_missed_calls_list_first(calls_org_db):
    o = calls_org_db
    caller = make_staff(o.station1a)
    resident = make_resident(o)
    api = client_for(caller)
    start = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0)
    with time_machine.travel(start, tick=False):
        missed = services.call_start(caller=caller, resident_id=resident.pk, topic="补交材料")
    with time_machine.travel(start + timedelta(seconds=5), tick=False):
        answered = services.call_start(caller=caller, unit_ids=[o.workstation1.pk])
        services.call_answer(call_id=answered.pk, user=make_staff(o.workstation1), accept=True)
    with time_machine.travel(start + timedelta(seconds=65), tick=False):
        detail = api.get(f"/api/v1/calls/{missed.pk}/")  # no beat has run: the read applies the deadline
        assert detail.status_code == 200
        assert detail.json()["status"] == "missed"
        kinds = [e["kind"] for e in detail.json()["events"]]
        assert kinds == ["rang", "missed", "ended"]
        listing = api.get("/api/v1/calls/", {"date": start.date().isoformat()})
    assert listing.status_code == 200
    assert [c["id"] for c in listing.json()] == [str(missed.pk), str(answered.pk)]
    missed_row, answered_row = listing.json()
    assert missed_row["status"] == "missed" and missed_row["outcome"] == "missed"
    assert missed_row["resident"] == mask_name(resident.real_name) and missed_row["may_make_case"] is True
    assert missed_row["resident_id"] == resident.pk
    assert [(i["purpose"], i["status"]) for i in missed_row["invitations"]] == [("callee", "missed")]
    assert answered_row["outcome"] == "ongoing" and answered_row["resident"] is None
    assert answered_row["may_make_case"] is False  # no resident in it: nothing to open a case for
    assert answered_row["invitations"][0]["unit"] == o.workstation1.name
    assert answered_row["invitations"][0]["answered_by"]
    # A reviewer invited to the call sees it but may not open a case at the calling station.
    assert client_for(make_staff(o.station1a, is_agent=False, is_reviewer=True)).get(
        "/api/v1/calls/", {"date": start.date().isoformat()}).json()[0]["may_make_case"] is False
    other_day = api.get("/api/v1/calls/", {"date": (start - timedelta(days=1)).date().isoformat()})
    assert other_day.json() == []
    assert api.get("/api/v1/calls/", {"date": "yesterday"}).status_code == 400
    # Staff of an unrelated unit see neither the list entry nor the detail.
    outsider = client_for(make_staff(o.station2a))
    assert outsider.get(f"/api/v1/calls/{missed.pk}/").status_code == 404


def test_call_detail_shows_participants_durations_and_events(calls_org_db):
    o = calls_org_db
    resident = make_resident(o, real_name="赵大山")
    agent = make_staff(o.station1a)
    booking = make_booking(o, resident=resident)
    call = booking.call
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.call_room_join(call_id=call.pk, user=agent, channel_name="specific.a!1")
        joined = services.call_room_join(call_id=call.pk, user=resident, channel_name="specific.r!1")
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        services.participant_admit(call_id=call.pk, actor=agent, participant_id=joined["participant_id"])
    with time_machine.travel(start + timedelta(seconds=40), tick=False):
        services.participant_media_state(participant_id=joined["participant_id"], channel_name="specific.r!1",
                                         state={"connection": "connected"})
    with time_machine.travel(start + timedelta(seconds=130), tick=False):
        services.call_hangup(call_id=call.pk, actor=agent)
        body = client_for(agent).get(f"/api/v1/calls/{call.pk}/").json()
    assert body["booking_id"] == booking.pk and body["status"] == "ended"
    people = {p["role"]: p for p in body["participants"]}
    assert people["resident"]["seconds_in_call"] == 100  # admitted at +30 s, hung up at +130 s
    assert people["agent"]["seconds_in_call"] == 130
    assert people["resident"]["name"] == "赵**"
    kinds = [e["kind"] for e in body["events"]]
    for kind in ("joined", "waiting", "admitted", "media_state", "left", "ended"):
        assert kind in kinds
    assert resident.id_number not in str(body) and resident.phone not in str(body)
    booking.refresh_from_db()
    assert booking.status == "completed"
    # Residents do not read the staff call log.
    assert client_for(resident).get(f"/api/v1/calls/{call.pk}/").status_code == 403


def test_invite_by_unit_and_refusals(calls_org_db):
    o = calls_org_db
    resident = make_resident(o)
    agent = make_staff(o.station1a)
    booking = make_booking(o, resident=resident)
    call = booking.call
    services.call_room_join(call_id=call.pk, user=agent, channel_name="specific.a!1")
    api = client_for(agent)
    assert api.post(f"/api/v1/calls/{call.pk}/invite/", {"unit_id": o.workstation1.pk},
                    format="json").status_code == 201
    assert api.post(f"/api/v1/calls/{call.pk}/invite/", {"unit_id": o.workstation1.pk},
                    format="json").status_code == 409
    refused = api.post(f"/api/v1/calls/{call.pk}/invite/", {"unit_id": o.workstation2.pk}, format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "call_not_allowed"
    not_staff = api.post(f"/api/v1/calls/{call.pk}/invite/", {"user_id": make_resident(o).pk}, format="json")
    assert not_staff.status_code == 400
    # An agent of another station, not in the call, may not invite: for them the call does not exist.
    other = client_for(make_staff(o.station1b))
    assert other.post(f"/api/v1/calls/{call.pk}/invite/", {"unit_id": o.department.pk},
                      format="json").status_code == 404
    # A reviewer of the invited unit accepts by entering the room.
    reviewer = make_staff(o.workstation1, role=User.Role.REVIEWER)
    joined = services.call_room_join(call_id=call.pk, user=reviewer, channel_name="specific.v!1")
    assert joined["state"] == "admitted"
    assert CallEvent.objects.filter(call=call, kind="accepted", user=reviewer).exists()


def test_ice_servers_default_empty_and_coturn_credentials(calls_org_db, settings):
    o = calls_org_db
    resident = make_resident(o)
    api = client_for(resident)
    empty = api.get("/api/v1/calls/ice-servers/")
    assert empty.status_code == 200 and empty.json()["iceServers"] == []
    assert APIClient().get("/api/v1/calls/ice-servers/").status_code == 403

    settings.STUN_URLS = ["stun:turn.example.org:3478"]
    settings.TURN_URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"]
    settings.TURN_SECRET = "north-wind"
    settings.TURN_CREDENTIAL_TTL = 1800
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        body = api.get("/api/v1/calls/ice-servers/").json()
    stun, turn = body["iceServers"]
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert "turns:turn.example.org:443?transport=tcp" in turn["urls"]
    expiry, user_id = turn["username"].split(":")
    assert int(expiry) == int(now.timestamp()) + 1800 and user_id == str(resident.pk)
    expected = base64.b64encode(hmac.new(b"north-wind", turn["username"].encode(), hashlib.sha1).digest()).decode()
    assert turn["credential"] == expected

    # For a booked call, valid for the rest of the session plus overrun.
    booking = make_booking(o, resident=resident, starts_in_minutes=60)
    with time_machine.travel(now, tick=False):
        body = api.get("/api/v1/calls/ice-servers/", {"call": str(booking.call.pk)}).json()
    assert body["ttl"] >= 75 * 60
    stranger = client_for(make_resident(o))
    assert stranger.get("/api/v1/calls/ice-servers/", {"call": str(booking.call.pk)}).status_code == 404


def test_sweep_frees_places_of_a_dead_process_and_beat_runs_it(calls_org_db):
    o = calls_org_db
    resident = make_resident(o)
    agent = make_staff(o.station1a)
    booking = make_booking(o, resident=resident)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        mine = services.call_room_join(call_id=booking.call.pk, user=agent, channel_name="specific.gone!1")
    # No disconnect ever arrives (the process died). After 90 s unheard it counts as dropped,
    # and 60 s after it was last heard from its place is freed.
    with time_machine.travel(start + timedelta(seconds=91), tick=False):
        services.call_sweep()
    place = Participant.objects.get(pk=mine["participant_id"])
    assert place.state == "left" and place.left_at == start + timedelta(seconds=60)
    assert celery_app.conf.beat_schedule["calls-sweep"]["task"] == "calls.tasks.call_sweep"
    assert celery_app.conf.beat_schedule["calls-sweep"]["schedule"] <= 30
    from calls.tasks import call_sweep

    assert call_sweep.delay().get() == 0  # the registered task runs (eagerly here)


def test_the_days_list_costs_the_same_queries_for_one_call_or_many(calls_org_db):
    o = calls_org_db
    caller = make_staff(o.station1a)
    api = client_for(caller)
    services.call_start(caller=caller, resident_id=make_resident(o).pk, topic="回访")

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/calls/").status_code == 200
        return len(queries)

    one = queries_for_list()
    for _ in range(5):
        services.call_start(caller=caller, resident_id=make_resident(o).pk, topic="回访")
        services.call_start(caller=caller, unit_ids=[o.workstation1.pk])
    assert len(api.get("/api/v1/calls/").json()) == 11
    assert queries_for_list() == one
