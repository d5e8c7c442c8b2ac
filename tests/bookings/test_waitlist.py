"""Waiting list: join a full day, offers on cancellation held 15 minutes, then the next in line."""
import datetime

import pytest

from accounts.models import Notification
from bookings import services
from bookings.models import Booking, SlotSeat, WaitlistEntry, WaitlistStatus
from stations.models import OpeningHours, Unit
from tests.factories import ResidentFactory, client_for
from tests.support.bookings import book, local

pytestmark = pytest.mark.django_db
TUESDAY = datetime.date(2026, 3, 3)


@pytest.fixture
def small_station(station):
    """Tuesday 09:00-09:40 only, one line: two slots (09:00, 09:20)."""
    OpeningHours.objects.filter(unit=station).delete()
    OpeningHours.objects.create(unit=station, weekday=1, opens=datetime.time(9, 0), closes=datetime.time(9, 40))
    Unit.objects.filter(pk=station.pk).update(video_lines=1)
    station.refresh_from_db()
    return station


@pytest.fixture
def full_day(clock, small_station, item):
    people = [ResidentFactory(), ResidentFactory()]
    ids = [book(client_for(p), small_station, item, local(3, 9, m)).json()["id"] for p, m in zip(people, (0, 20),
                                                                                                   strict=True)]
    return people, [Booking.objects.get(pk=i) for i in ids]


def join(client, unit, item):
    return client.post("/api/v1/waitlist/", {"unit": unit.pk, "item": item.pk, "date": "2026-03-03"}, format="json")


def test_join_only_when_the_day_is_full(clock, small_station, item, resident_api):
    response = join(resident_api, small_station, item)
    assert response.status_code == 409 and response.json()["code"] == "day_not_full"


def test_cancellation_offers_the_slot_to_the_first_in_line(full_day, small_station, item, sms_outbox):
    (first_booker, _), (cancelled, _) = full_day
    waiting = [ResidentFactory() for _ in range(2)]
    for person in waiting:
        assert join(client_for(person), small_station, item).status_code == 201
    assert join(client_for(waiting[0]), small_station, item).status_code == 409  # once per day
    services.booking_cancel(booking=cancelled, actor=first_booker)
    entry = WaitlistEntry.objects.get(resident=waiting[0])
    assert entry.status == WaitlistStatus.OFFERED and entry.offered_starts_at == local(3, 9, 0)
    assert entry.offer_expires_at == local(2, 7, 15)
    assert Notification.objects.filter(user=waiting[0], kind="waitlist_offer").count() == 1
    # The held seat counts against capacity: nobody else can take it.
    assert SlotSeat.objects.filter(hold=entry).count() == 2
    outsider = book(client_for(ResidentFactory()), small_station, item, local(3, 9, 0))
    assert outsider.status_code == 409
    assert book(client_for(waiting[1]), small_station, item, local(3, 9, 0)).status_code == 409
    # The offered resident books it.
    response = book(client_for(waiting[0]), small_station, item, local(3, 9, 0))
    assert response.status_code == 201, response.content
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED and entry.booking_id == response.json()["id"]
    assert SlotSeat.objects.filter(booking_id=entry.booking_id).count() == 2 and not SlotSeat.objects.filter(
        hold__isnull=False).exists()


def test_an_expired_offer_passes_to_the_next(full_day, clock, small_station, item):
    (first_booker, _), (cancelled, _) = full_day
    first, second = ResidentFactory(), ResidentFactory()
    join(client_for(first), small_station, item)
    join(client_for(second), small_station, item)
    services.booking_cancel(booking=cancelled, actor=first_booker)
    clock.move_to(local(2, 7, 14))
    assert services.waitlist_offers_expire() == 0
    clock.move_to(local(2, 7, 16))
    from bookings.tasks import expire_waitlist_offers

    assert expire_waitlist_offers.delay().get() == 1
    assert WaitlistEntry.objects.get(resident=first).status == WaitlistStatus.EXPIRED
    nxt = WaitlistEntry.objects.get(resident=second)
    assert nxt.status == WaitlistStatus.OFFERED and nxt.offer_expires_at == local(2, 7, 31)
    assert Notification.objects.filter(user=second, kind="waitlist_offer").count() == 1
    # The first one is too late now.
    assert book(client_for(first), small_station, item, local(3, 9, 0)).status_code == 409
    assert book(client_for(second), small_station, item, local(3, 9, 0)).status_code == 201


def test_leaving_with_an_offer_passes_it_on(full_day, small_station, item):
    (first_booker, _), (cancelled, _) = full_day
    first, second = ResidentFactory(), ResidentFactory()
    join(client_for(first), small_station, item)
    join(client_for(second), small_station, item)
    services.booking_cancel(booking=cancelled, actor=first_booker)
    entry = WaitlistEntry.objects.get(resident=first)
    assert client_for(first).delete(f"/api/v1/waitlist/{entry.pk}/").status_code == 204
    assert WaitlistEntry.objects.get(resident=second).status == WaitlistStatus.OFFERED
    assert client_for(second).get("/api/v1/waitlist/").json()[0]["status"] == "offered"


@pytest.mark.parametrize(("field", "zh", "en"), [("unit", "找不到该服务机构。", "Service unit not found."),
                                                 ("item", "找不到该服务事项。", "Service item not found.")])
def test_joining_for_an_unknown_unit_or_item_is_not_found_in_both_languages(clock, small_station, item, resident,
                                                                            resident_api, field, zh, en):
    body = {"unit": small_station.pk, "item": item.pk, "date": "2026-03-03", field: 999_999_999}
    for language, detail in (("zh-hans", zh), ("en", en)):
        response = resident_api.post("/api/v1/waitlist/", body, format="json", HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "detail": detail}
    assert not WaitlistEntry.objects.filter(resident=resident).exists()


def test_joining_a_full_day_answers_the_entry(full_day, small_station, item):
    person = ResidentFactory()
    response = join(client_for(person), small_station, item)
    assert response.status_code == 201
    entry = WaitlistEntry.objects.get(resident=person)
    assert response.json()["id"] == entry.pk and response.json()["status"] == "waiting"
