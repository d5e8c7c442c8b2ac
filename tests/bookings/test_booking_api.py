"""Booking over the API: creation, idempotency, validation, proxy booking, visibility, staff lists."""
import pytest

from accounts.models import Notification, User
from bookings.models import Booking, BookingStatus, SlotSeat
from calls.models import Call
from stations.models import Unit
from tests.factories import ResidentFactory, client_for, staff_at, valid_id_number
from tests.support.bookings import book, local

pytestmark = pytest.mark.django_db


def test_booking_creates_call_checklist_events_and_notice(clock, station, item, resident, resident_api, sms_outbox,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = book(resident_api, station, item, local(3, 9, 10))
    assert response.status_code == 201, response.content
    body = response.json()
    booking = Booking.objects.get(pk=body["id"])
    assert (booking.resident, booking.booked_by, booking.status) == (resident, resident, BookingStatus.BOOKED)
    assert body["starts_at"] == "2026-03-03T09:10:00+08:00" and body["ends_at"] == "2026-03-03T09:25:00+08:00"
    assert body["call_id"] == str(Call.objects.get(booking=booking).pk)
    mandatory = [r.code for r in item.requirements.filter(mandatory=True)]
    assert body["missing_mandatory"] == mandatory
    assert [e["code"] for e in body["checklist"]] == [r.code for r in item.requirements.order_by("sort")]
    assert [e["to_status"] for e in body["events"]] == ["booked"]
    assert body["resident"]["id_number"].count("*") == 10  # masked
    assert SlotSeat.objects.filter(booking=booking).count() == 2  # 20 minutes = two grid cells
    assert Notification.objects.filter(user=resident, kind="booking_confirmed").count() == 1
    assert len(sms_outbox) == 1 and sms_outbox[0]["phone"] == resident.phone


def test_booking_answers_hold_their_declared_fields_and_agree(clock, station, item, resident_api):
    """The answers' keys are the serializers' declared (documented) fields, and the new booking's answer is the
    one a later read, the replay and the list give."""
    from bookings.serializers import BookingDetailOut, BookingOut, EventOut

    created = book(resident_api, station, item, local(3, 9, 10), key="fields-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert list(body) == list(BookingDetailOut().fields)
    assert all(list(event) == list(EventOut().fields) for event in body["events"])
    assert resident_api.get(f"/api/v1/bookings/{body['id']}/").json() == body
    assert book(resident_api, station, item, local(3, 9, 10), key="fields-1").json() == body  # the replay
    listed = resident_api.get("/api/v1/bookings/").json()["results"]
    assert [list(row) for row in listed] == [list(BookingOut().fields)]
    assert listed[0] == {key: body[key] for key in BookingOut().fields}
    assert body["change_deadline"] == "2026-03-03T07:10:00+08:00" and body["events"][0]["actor"]


def test_a_new_booking_answer_shows_the_checklist_as_edited(clock, station, item, resident_api):
    """The new booking's checklist comes from the cache; editing the catalog drops the cached one."""
    from bookings.models import MaterialRequirement

    def checklist_codes(hour):
        response = book(resident_api, station, item, local(3, hour, 10))
        assert response.status_code == 201, response.content
        return [entry["code"] for entry in response.json()["checklist"]]

    before = checklist_codes(9)
    added = MaterialRequirement.objects.create(item=item, code="extra_proof", name="补充证明", sort=99)
    assert checklist_codes(10) == [*before, "extra_proof"]
    added.delete()
    assert checklist_codes(11) == before


def test_a_booking_stands_when_the_sms_gateway_fails(clock, station, item, resident, resident_api, settings,
                                                     django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "tests.accounts.test_notifications._GatewayDown"
    with django_capture_on_commit_callbacks(execute=True):
        response = book(resident_api, station, item, local(3, 9, 10))
    assert response.status_code == 201, response.content
    notice = Notification.objects.get(user=resident, kind="booking_confirmed")
    assert notice.sent_sms is False and Booking.objects.filter(pk=response.json()["id"]).exists()


def test_idempotent_retry_returns_the_same_booking(clock, station, item, resident_api):
    first = book(resident_api, station, item, local(3, 9, 10), key="abc-1")
    again = book(resident_api, station, item, local(3, 9, 10), key="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert Booking.objects.count() == 1
    assert Notification.objects.filter(kind="booking_confirmed").count() == 1
    # Same instant written in UTC: the same request.
    assert book(resident_api, station, item, local(3, 9, 10).astimezone(__import__("datetime").UTC),
                key="abc-1").status_code == 200


def test_same_key_with_another_body_is_refused(clock, station, item, resident_api):
    assert book(resident_api, station, item, local(3, 9, 10), key="abc-2").status_code == 201
    response = book(resident_api, station, item, local(3, 10, 10), key="abc-2")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert Booking.objects.count() == 1


def test_key_is_per_user(clock, station, item, resident_api):
    other = client_for(ResidentFactory())
    a = book(resident_api, station, item, local(3, 9, 10), key="shared")
    b = book(other, station, item, local(3, 9, 10), key="shared")
    assert a.status_code == b.status_code == 201 and a.json()["id"] != b.json()["id"]


def test_missing_key_invalid_slot_and_notice(clock, station, item, resident_api):
    body = {"unit": station.pk, "item": item.pk, "starts_at": local(3, 9, 10).isoformat()}
    response = resident_api.post("/api/v1/bookings/", body, format="json")
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_required"
    off_grid = book(resident_api, station, item, local(3, 9, 0))
    assert off_grid.status_code == 400 and off_grid.json()["code"] == "slot_invalid"
    assert off_grid.json()["next_slots"]
    too_far = book(resident_api, station, item, local(18, 9, 10))
    assert too_far.status_code == 400
    lunch = book(resident_api, station, item, local(3, 12, 30))
    assert lunch.status_code == 400
    department = Unit.objects.filter(kind=Unit.Kind.CITY_DEPARTMENT).first()
    assert book(resident_api, department, item, local(3, 9, 10)).json()["code"] == "unit_not_bookable"
    assert Booking.objects.count() == 0


def test_full_slot_gives_409_with_next_free_slots(clock, station, item):
    for _ in range(2):
        assert book(client_for(ResidentFactory()), station, item, local(3, 9, 10)).status_code == 201
    response = book(client_for(ResidentFactory()), station, item, local(3, 9, 10))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "slot_full" and "约满" in body["detail"]
    assert body["next_slots"][0]["starts_at"] == "2026-03-03T09:30:00+08:00"
    assert Booking.objects.count() == 2


def test_overlapping_booking_of_one_resident_is_refused(clock, station, item, resident_api):
    other_station = Unit.objects.get(code="371702001-2")
    assert book(resident_api, station, item, local(3, 9, 10)).status_code == 201
    response = book(resident_api, other_station, item, local(3, 9, 10))
    assert response.status_code == 409 and response.json()["code"] == "overlapping_booking"
    assert book(resident_api, station, item, local(3, 9, 30)).status_code == 201  # back to back is fine


def test_proxy_booking_for_a_new_resident(clock, station, item, resident, resident_api):
    id_number = valid_id_number(birth="19450101")
    proxy = {"real_name": "王秀兰", "id_number": id_number, "phone": "13900009999"}
    response = book(resident_api, station, item, local(3, 9, 10), resident=proxy)
    assert response.status_code == 201, response.content
    party = User.objects.get(id_number=id_number)
    assert party.role == User.Role.RESIDENT and party.phone == "13900009999" and party.real_name == "王秀兰"
    booking = Booking.objects.get(pk=response.json()["id"])
    assert booking.resident == party and booking.booked_by == resident and response.json()["is_proxy"]
    # Both see it; the party in their own list too.
    for user in (party, resident):
        client = client_for(user)
        assert client.get(f"/api/v1/bookings/{booking.pk}/").status_code == 200
        assert [b["id"] for b in client.get("/api/v1/bookings/").json()["results"]] == [booking.pk]
    assert Notification.objects.filter(kind="booking_confirmed").count() == 2  # party and proxy
    assert id_number not in response.content.decode()


def test_proxy_booking_by_staff_for_an_existing_resident(clock, station, item):
    villager = ResidentFactory(real_name="李大爷")
    agent = staff_at(station, is_agent=True)
    identity = {"real_name": "李大爷", "id_number": villager.id_number.lower()}
    response = book(client_for(agent), station, item, local(3, 9, 10), resident=identity)
    assert response.status_code == 201, response.content
    assert Booking.objects.get().resident == villager
    wrong_name = book(client_for(agent), station, item, local(3, 9, 30),
                      resident={"real_name": "张三", "id_number": villager.id_number})
    assert wrong_name.status_code == 400 and wrong_name.json()["code"] == "identity_mismatch"


def test_proxy_validation(clock, station, item, resident_api):
    bad = book(resident_api, station, item, local(3, 9, 10),
               resident={"real_name": "王五", "id_number": "371702194501010000"})
    assert bad.status_code == 400 and bad.json()["code"] == "id_number_invalid"
    no_phone = book(resident_api, station, item, local(3, 9, 10),
                    resident={"real_name": "王五", "id_number": valid_id_number()})
    assert no_phone.status_code == 400 and no_phone.json()["code"] == "phone_required"
    staff = staff_at(station, is_agent=True)
    self_booking = book(client_for(staff), station, item, local(3, 9, 10))
    assert self_booking.status_code == 400 and self_booking.json()["code"] == "resident_required"
    assert Booking.objects.count() == 0 and not User.objects.filter(real_name="王五").exists()


def test_resident_b_gets_404_for_everything_of_resident_a(clock, station, item, resident_api):
    booking_id = book(resident_api, station, item, local(3, 9, 10)).json()["id"]
    other = client_for(ResidentFactory())
    assert other.get(f"/api/v1/bookings/{booking_id}/").status_code == 404
    assert other.post(f"/api/v1/bookings/{booking_id}/cancel/", {}, format="json").status_code == 404
    assert other.post(f"/api/v1/bookings/{booking_id}/reschedule/",
                      {"starts_at": local(3, 10, 10).isoformat()}, format="json").status_code == 404
    assert other.post(f"/api/v1/bookings/{booking_id}/materials/", {}).status_code == 404
    assert other.get("/api/v1/bookings/").json()["results"] == []
    assert Booking.objects.get(pk=booking_id).status == BookingStatus.BOOKED


def test_staff_list_of_a_unit_day(clock, station, item):
    agent = staff_at(station, is_agent=True)
    reviewer_elsewhere = staff_at(Unit.objects.get(code="371702001-2"), is_agent=True)
    booked = [book(client_for(ResidentFactory()), station, item, local(3, h, 10)).json()["id"] for h in (14, 9)]
    book(client_for(ResidentFactory()), station, item, local(4, 9, 10))
    response = client_for(agent).get("/api/v1/bookings/", {"unit": station.pk, "date": "2026-03-03"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == list(reversed(booked))  # the day's queue in time order
    assert rows[0]["missing_mandatory"] and rows[0]["call_id"]
    assert client_for(reviewer_elsewhere).get("/api/v1/bookings/", {"unit": station.pk}).status_code == 403
    assert client_for(ResidentFactory()).get("/api/v1/bookings/", {"unit": station.pk}).status_code == 403
    # Staff of the unit may open a booking; staff of another unit may not.
    assert client_for(agent).get(f"/api/v1/bookings/{booked[0]}/").status_code == 200
    assert client_for(reviewer_elsewhere).get(f"/api/v1/bookings/{booked[0]}/").status_code == 404


def test_anonymous_cannot_book(api, clock, station, item):
    assert book(api, station, item, local(3, 9, 10)).status_code in (401, 403)


def test_booking_creation_statement_budget(clock, station, item, resident_api):
    """The round trips of one booking (PostgreSQL: seats in one INSERT … ON CONFLICT, the call in one INSERT).
    A budget, so that a change that adds reads to the hot path shows up here rather than in production."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = book(resident_api, station, item, local(3, 9, 10))
    assert response.status_code == 201, response.content
    # PostgreSQL: the unit, the item, the day's hours and closures, the idempotency record, the booking, the
    # waiting-list offer, the seats (one INSERT … ON CONFLICT), the event, the call, the notice (in a savepoint),
    # the record's booking, the answer's reads (booking, checklist, materials, events) and the test's savepoint.
    budget = 20 if connection.vendor == "postgresql" else 25
    assert len(queries) <= budget, "\n".join(q["sql"][:120] for q in queries.captured_queries)
    # The call is joined into the answer's booking read, never read on its own.
    assert not any(q["sql"].startswith("SELECT") and 'FROM "calls_call"' in q["sql"] for q in queries.captured_queries)


def test_booking_an_unknown_unit_or_item_is_a_404_in_both_languages(clock, station, item, resident_api):
    from bookings.models import ServiceItem

    gone_unit, gone_item = Unit(pk=999_999), ServiceItem(pk=999_999)
    response = book(resident_api, gone_unit, item, local(3, 9, 10))
    assert response.status_code == 404 and response.json()["detail"] == "找不到该服务机构。"
    response = resident_api.post("/api/v1/bookings/", {"unit": station.pk, "item": gone_item.pk,
                                                       "starts_at": local(3, 9, 10).isoformat()},
                                 format="json", HTTP_IDEMPOTENCY_KEY="unknown-item", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404 and response.json()["detail"] == "Service item not found."
    assert not Booking.objects.exists()
