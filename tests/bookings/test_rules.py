"""One rule, one place (bookings/selectors/rules.py): the answers, the services and the other apps agree,
because they all ask the same function."""
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bookings import selectors, services
from bookings.models import Booking, IdempotencyRecord
from calls.selectors import booking_materials_status
from stations.models import Unit
from tests.factories import ResidentFactory, client_for, staff_at
from tests.support.bookings import book, local

pytestmark = pytest.mark.django_db



def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (20, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def booked(clock, station, item, resident_api):
    response = book(resident_api, station, item, local(3, 9, 10))
    assert response.status_code == 201, response.content
    return Booking.objects.get(pk=response.json()["id"])


def test_missing_mandatory_materials_agree_everywhere(booked, resident_api):
    mandatory = list(booked.item.requirements.filter(mandatory=True).order_by("sort", "pk"))
    assert [r.code for r in selectors.booking_missing_mandatory(booked)] == [r.code for r in mandatory]
    services.material_add(booking=booked, requirement=mandatory[0],
                          uploaded_file=SimpleUploadedFile("id.jpg", jpeg()), uploaded_by=booked.resident)
    left = mandatory[1:]
    answer = resident_api.get(f"/api/v1/bookings/{booked.pk}/").json()
    assert answer["missing_mandatory"] == [r.code for r in left]
    assert [entry["code"] for entry in answer["checklist"] if entry["missing"]] == [r.code for r in left]
    assert booking_materials_status(booking=booked) == {"complete": not left, "missing": [r.name for r in left]}


def test_the_answer_shows_the_cut_off_the_service_enforces(booked, clock, resident_api):
    deadline = selectors.booking_change_deadline(booked)
    answer = resident_api.get(f"/api/v1/bookings/{booked.pk}/").json()
    assert datetime.datetime.fromisoformat(answer["change_deadline"]) == deadline
    clock.move_to(deadline + datetime.timedelta(seconds=1))
    refused = resident_api.post(f"/api/v1/bookings/{booked.pk}/cancel/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "change_too_late"
    clock.move_to(deadline)
    assert resident_api.post(f"/api/v1/bookings/{booked.pk}/cancel/", {}, format="json").status_code == 200


def test_only_open_front_office_units_are_bookable(org):
    for kind in Unit.Kind:
        assert selectors.unit_bookable(kind=kind, active=True) == (kind in Unit.FRONT_OFFICE_KINDS)
        assert not selectors.unit_bookable(kind=kind, active=False)


def test_inactive_station_offers_no_slots_and_takes_no_booking(clock, station, item, resident_api, api):
    Unit.objects.filter(pk=station.pk).update(active=False)
    station.refresh_from_db()
    station.save()  # as the admin does: the cached slot basis follows
    response = api.get(f"/api/v1/units/{station.pk}/slots/", {"item": item.pk})
    assert response.status_code == 400 and response.json()["code"] == "unit_not_bookable"
    response = book(resident_api, station, item, local(3, 9, 10))
    assert response.status_code == 400 and response.json()["code"] == "unit_not_bookable"


def test_staff_book_only_for_a_named_resident_and_leave_no_key_behind(clock, station, item):
    agent = client_for(staff_at(station, is_agent=True))
    response = book(agent, station, item, local(3, 9, 10), key="staff-1")
    assert response.status_code == 400 and response.json()["code"] == "resident_required"
    assert not IdempotencyRecord.objects.exists()  # the same key may be used again, with a resident


def test_the_proxy_is_a_party_of_the_booking(booked):
    proxy, stranger = booked.resident, ResidentFactory()
    assert selectors.is_booking_party(booking=booked, user=proxy)
    assert not selectors.is_booking_party(booking=booked, user=stranger)
    assert list(Booking.objects.filter(selectors.booking_parties_q(proxy))) == [booked]
