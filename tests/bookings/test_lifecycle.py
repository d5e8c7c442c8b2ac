"""Cancel and reschedule limits, staff cancellation, unit closure, no-shows, reminders, notifications once."""
import datetime

import pytest
import time_machine

from accounts.models import Notification
from bookings import services
from bookings.models import Booking, BookingEvent, BookingStatus, SlotSeat
from core.errors import ServiceError
from stations.models import Closure, Unit
from tests.factories import ResidentFactory, client_for, staff_at
from tests.support.bookings import book, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(clock, station, item, resident_api):
    response = book(resident_api, station, item, local(2, 11, 10))  # Monday 11:10, now is 07:00
    assert response.status_code == 201
    return Booking.objects.get(pk=response.json()["id"])


def test_resident_cancels_before_the_cut_off(booking, resident, resident_api):
    response = resident_api.post(f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": "有事"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    event = BookingEvent.objects.filter(booking=booking).last()
    assert (event.from_status, event.to_status, event.actor, event.reason) == ("booked", "cancelled", resident, "有事")
    assert not SlotSeat.objects.filter(booking=booking).exists()  # the seat is free again
    assert Notification.objects.filter(user=resident, kind="booking_cancelled").count() == 1


def test_no_change_within_two_hours_of_the_start(booking, clock, resident_api):
    clock.move_to(local(2, 9, 11))  # 1 h 59 min before
    response = resident_api.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "change_too_late"
    response = resident_api.post(f"/api/v1/bookings/{booking.pk}/reschedule/",
                                 {"starts_at": local(3, 9, 10).isoformat()}, format="json")
    assert response.status_code == 409
    booking.refresh_from_db()
    assert booking.status == BookingStatus.BOOKED and booking.starts_at == local(2, 11, 10)


def test_cut_off_is_configurable(booking, clock, resident_api, settings):
    settings.BOOKING_CHANGE_CUTOFF_MINUTES = 60
    clock.move_to(local(2, 9, 11))
    assert resident_api.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json").status_code == 200


def test_staff_cancel_any_time_with_a_reason(booking, clock, station, resident):
    agent = staff_at(station, is_agent=True)
    clock.move_to(local(2, 11, 0))
    client = client_for(agent)
    assert client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json").json()["code"] == "reason_required"
    response = client.post(f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": "网络故障"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    notice = Notification.objects.get(user=resident, kind="booking_cancelled")
    assert "网络故障" in notice.body
    other_agent = staff_at(Unit.objects.get(code="371702001-2"), is_agent=True)
    assert client_for(other_agent).post(f"/api/v1/bookings/{booking.pk}/cancel/", {"reason": "x"},
                                        format="json").status_code == 404


def test_reschedule_moves_seats_and_notifies(booking, station, item, resident, resident_api):
    response = resident_api.post(f"/api/v1/bookings/{booking.pk}/reschedule/",
                                 {"starts_at": local(3, 14, 10).isoformat()}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["starts_at"] == "2026-03-03T14:10:00+08:00"
    seats = sorted(SlotSeat.objects.filter(booking=booking).values_list("starts_at", flat=True))
    assert seats == [local(3, 14, 10), local(3, 14, 20)]
    assert Notification.objects.filter(user=resident, kind="booking_changed").count() == 1
    assert "改约" in BookingEvent.objects.filter(booking=booking).last().reason
    bad = resident_api.post(f"/api/v1/bookings/{booking.pk}/reschedule/",
                            {"starts_at": local(3, 14, 15).isoformat()}, format="json")
    assert bad.status_code == 400


def test_unit_closure_cancels_and_notifies_everyone(clock, station, item):
    residents = [ResidentFactory() for _ in range(3)]
    for resident, hour in zip(residents, (9, 10, 14), strict=True):
        assert book(client_for(resident), station, item, local(4, hour, 10)).status_code == 201
    other_day = book(client_for(ResidentFactory()), station, item, local(5, 9, 10)).json()["id"]
    head = staff_at(station, is_agent=True, is_head=True)
    services.unit_closure_create(station, datetime.date(2026, 3, 4), "停电", head)
    assert Closure.objects.filter(unit=station, date=datetime.date(2026, 3, 4)).exists()
    assert set(Booking.objects.filter(starts_at__date__lte=datetime.date(2026, 3, 4))
               .values_list("status", flat=True)) == {"cancelled"}
    assert Booking.objects.get(pk=other_day).status == "booked"
    for resident in residents:
        assert "停电" in Notification.objects.get(user=resident, kind="booking_cancelled").body
    assert BookingEvent.objects.filter(to_status="cancelled", actor=head).count() == 3
    # Running it again cancels nothing twice and sends nothing twice.
    services.unit_closure_create(station, datetime.date(2026, 3, 4), "停电", head)
    assert Notification.objects.filter(kind="booking_cancelled").count() == 3


def test_no_show_after_the_grace_period(booking, clock, settings):
    clock.move_to(local(2, 11, 24))
    assert services.bookings_mark_no_show() == 0
    clock.move_to(local(2, 11, 26))
    assert services.bookings_mark_no_show() == 1
    booking.refresh_from_db()
    assert booking.status == BookingStatus.NO_SHOW
    assert BookingEvent.objects.filter(booking=booking, to_status="no_show", actor=None).count() == 1
    assert services.bookings_mark_no_show() == 0


def test_reminder_30_minutes_before_sent_once(booking, clock, resident):
    from bookings.tasks import send_booking_reminders

    clock.move_to(local(2, 10, 39))
    assert send_booking_reminders.delay().get() == 0
    clock.move_to(local(2, 10, 41))
    assert send_booking_reminders.delay().get() == 1
    assert send_booking_reminders.delay().get() == 0
    assert Notification.objects.filter(user=resident, kind="booking_reminder").count() == 1


def test_notifications_are_not_duplicated_on_retries(clock, station, item, resident, resident_api):
    for _ in range(3):
        book(resident_api, station, item, local(3, 9, 10), key="same")
    booking = Booking.objects.get()
    services.booking_reminders_send(now=local(3, 8, 45))
    Booking.objects.filter(pk=booking.pk).update(reminded_at=None)  # as if a second worker re-ran the sweep
    services.booking_reminders_send(now=local(3, 8, 46))
    kinds = list(Notification.objects.filter(user=resident).values_list("kind", flat=True))
    assert sorted(kinds) == ["booking_confirmed", "booking_reminder"]


def test_beat_schedule_has_the_booking_sweeps():
    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscovery imports every app's tasks
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"bookings.tasks.send_booking_reminders", "bookings.tasks.mark_no_shows",
            "bookings.tasks.expire_waitlist_offers"} <= tasks
    assert {"bookings.tasks.send_booking_reminders", "bookings.tasks.mark_no_shows",
            "bookings.tasks.expire_waitlist_offers"} <= set(app.tasks)


def test_transition_rules_hold(booking):
    with pytest.raises(ServiceError):
        services.booking_transition(booking=booking, to_status=BookingStatus.COMPLETED)
    assert services.booking_transition(booking=booking, to_status=BookingStatus.CHECKED_IN)
    with time_machine.travel(local(2, 12, 0)):
        assert services.bookings_mark_no_show() == 0  # checked in: not a no-show
