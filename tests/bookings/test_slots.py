"""Slot generation: hours with a lunch break, holidays and closures, notice, horizon, time zones, capacity."""
import datetime

import pytest
import time_machine
from django.db import connection

from bookings import selectors
from stations.models import Closure, OpeningHours, Unit
from tests.factories import ResidentFactory, client_for
from tests.support.bookings import book, local

pytestmark = pytest.mark.django_db


def slot_times(api, unit, item, date_from, date_to=None):
    response = api.get(f"/api/v1/units/{unit.pk}/slots/",
                       {"item": item.pk, "date_from": date_from, "date_to": date_to or date_from})
    assert response.status_code == 200, response.content
    return response.json()


def test_slots_follow_hours_lunch_break_and_buffer(api, clock, station, item):
    body = slot_times(api, station, item, "2026-03-03")
    starts = [s["starts_at"] for s in body["slots"]]
    assert body["time_zone"] == "Asia/Shanghai" and body["capacity"] == 2
    assert starts[0] == "2026-03-03T08:30:00+08:00"
    assert "2026-03-03T08:50:00+08:00" in starts  # 15 min + 5 min buffer = a 20-minute step
    assert "2026-03-03T08:40:00+08:00" not in starts
    assert "2026-03-03T11:30:00+08:00" in starts and "2026-03-03T11:50:00+08:00" not in starts
    assert not [s for s in starts if "T12:" in s or "T13:0" in s or "T13:1" in s]  # lunch break
    assert "2026-03-03T13:30:00+08:00" in starts
    assert starts[-1] == "2026-03-03T17:10:00+08:00"
    assert len(starts) == 10 + 12
    assert all(s["remaining"] == 2 and s["ends_at"] > s["starts_at"] for s in body["slots"])


def test_weekend_holiday_and_unit_closure_have_no_slots(api, clock, station, item):
    assert slot_times(api, station, item, "2026-03-07", "2026-03-08")["slots"] == []  # weekend
    Closure.objects.create(unit=None, date=datetime.date(2026, 3, 4), reason="测试假日")
    Closure.objects.create(unit=station, date=datetime.date(2026, 3, 5), reason="线路检修")
    days = {s["starts_at"][:10] for s in slot_times(api, station, item, "2026-03-03", "2026-03-06")["slots"]}
    assert days == {"2026-03-03", "2026-03-06"}


def test_minimum_notice_and_horizon(api, station, item):
    with time_machine.travel(local(2, 8, 10), tick=False):
        starts = [s["starts_at"] for s in slot_times(api, station, item, "2026-03-02")["slots"]]
        assert "2026-03-02T08:30:00+08:00" not in starts  # 20 minutes' notice is too short
        assert starts[0] == "2026-03-02T08:50:00+08:00"
        body = slot_times(api, station, item, "2026-03-01", "2026-04-30")
        days = sorted({s["starts_at"][:10] for s in body["slots"]})
        assert days[0] == "2026-03-02" and days[-1] == "2026-03-16"  # 14 days ahead, not further


def test_time_zone_across_midnight(api, station, item):
    # 23:30 UTC on Monday is 07:30 on Tuesday in Heze: "today" is Tuesday for the resident.
    with time_machine.travel(datetime.datetime(2026, 3, 2, 23, 30, tzinfo=datetime.UTC), tick=False):
        body = slot_times(api, station, item, "2026-03-02", "2026-03-03")
        starts = [s["starts_at"] for s in body["slots"]]
        assert starts[0] == "2026-03-03T08:30:00+08:00"  # 00:30 UTC on the 3rd
        first = datetime.datetime.fromisoformat(starts[0])
        assert first.astimezone(datetime.UTC).isoformat() == "2026-03-03T00:30:00+00:00"
        # Booking with the UTC spelling of the same instant lands on the same slot.
        resident = ResidentFactory()
        response = book(client_for(resident), station, item, first.astimezone(datetime.UTC))
        assert response.status_code == 201, response.content
        assert response.json()["starts_at"] == "2026-03-03T08:30:00+08:00"
        # A morning slot of the local 3rd is on the UTC 2nd for an 07:50 start: nothing is lost across midnight.
        assert selectors.slot_find(unit=station, item=item, starts_at=first) is not None


def test_remaining_capacity_counts_bookings(api, clock, station, item, django_capture_on_commit_callbacks):
    # The cached answers are dropped after each commit, as in production (the test's transaction never commits).
    starts_at = local(3, 9, 10)
    with django_capture_on_commit_callbacks(execute=True):
        book(client_for(ResidentFactory()), station, item, starts_at)
    slots = {s["starts_at"]: s["remaining"] for s in slot_times(api, station, item, "2026-03-03")["slots"]}
    assert slots["2026-03-03T09:10:00+08:00"] == 1 and slots["2026-03-03T09:30:00+08:00"] == 2
    with django_capture_on_commit_callbacks(execute=True):
        second = book(client_for(ResidentFactory()), station, item, starts_at).json()["id"]
    slots = {s["starts_at"]: s["remaining"] for s in slot_times(api, station, item, "2026-03-03")["slots"]}
    assert "2026-03-03T09:10:00+08:00" not in slots  # full slots are not offered
    from bookings.models import Booking
    from bookings.services import booking_cancel

    booking = Booking.objects.get(pk=second)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, actor=booking.resident)  # the cached answer must not survive this
    slots = {s["starts_at"]: s["remaining"] for s in slot_times(api, station, item, "2026-03-03")["slots"]}
    assert slots["2026-03-03T09:10:00+08:00"] == 1


def test_longer_item_blocks_overlapping_cells_of_other_items(clock, station, item):
    """Video lines are counted on a shared grid, so items of different lengths cannot overbook a line."""
    from bookings.models import ServiceItem
    from bookings.services import booking_create

    Unit.objects.filter(pk=station.pk).update(video_lines=1)
    station.refresh_from_db()
    long_item = ServiceItem.objects.filter(session_minutes=30, active=True).first()  # 35 min -> 4 cells
    booking_create(booked_by=ResidentFactory(), unit=station, item=long_item, starts_at=local(3, 8, 30))
    free = {s.starts_at for s in selectors.slot_list(unit=station, item=item, date_from=datetime.date(2026, 3, 3),
                                                     date_to=datetime.date(2026, 3, 3))}
    assert local(3, 8, 30) not in free and local(3, 8, 50) not in free  # 08:30-09:10 is taken
    assert local(3, 9, 10) in free


def test_only_stations_and_workstations_take_bookings(api, clock, item):
    department = Unit.objects.filter(kind=Unit.Kind.CITY_DEPARTMENT).first()
    response = api.get(f"/api/v1/units/{department.pk}/slots/", {"item": item.pk})
    assert response.status_code == 400 and response.json()["code"] == "unit_not_bookable"
    workstation = Unit.objects.filter(kind=Unit.Kind.COUNTY_WORKSTATION).first()
    assert api.get(f"/api/v1/units/{workstation.pk}/slots/", {"item": item.pk}).json()["slots"]


def test_slot_search_uses_few_queries(api, clock, station, item, django_assert_max_num_queries):
    for hour in (9, 10, 14):
        book(client_for(ResidentFactory()), station, item, local(4, hour, 10))
    with django_assert_max_num_queries(6):
        cold = slot_times(api, station, item, "2026-03-02", "2026-03-16")
    with django_assert_max_num_queries(0):  # warm: the stored answer, still current
        body = slot_times(api, station, item, "2026-03-02", "2026-03-16")
    assert body == cold and len(body["slots"]) > 150


def test_cached_slot_basis_follows_changes(api, clock, station, item):
    assert slot_times(api, station, item, "2026-03-05")["slots"]
    Closure.objects.create(unit=station, date=datetime.date(2026, 3, 5), reason="检修")  # signal bumps the version
    assert slot_times(api, station, item, "2026-03-05")["slots"] == []
    Unit.objects.filter(pk=station.pk).update(video_lines=3)  # a queryset update sends no signal ...
    station.refresh_from_db()
    station.save()  # ... the admin saves the model, which does
    assert slot_times(api, station, item, "2026-03-06")["capacity"] == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="a second connection reading beside an open write transaction (PostgreSQL)")
def test_a_search_while_a_closure_commits_does_not_keep_the_old_hours(org, clock, station, item):
    """The version is bumped when the closure is saved and again after its commit: a search in between (another
    connection, which still sees the day open) caches the old basis, and the second bump retires it."""
    import threading

    from django.db import transaction

    closed_day = datetime.date(2026, 3, 5)
    seen_elsewhere = []

    def search_elsewhere():
        try:
            basis, _item = selectors.slot_basis_cached(unit_id=station.pk, item_id=item.pk)
            seen_elsewhere.append(closed_day in basis.closed)
        finally:
            connection.close()

    with transaction.atomic():
        Closure.objects.create(unit=station, date=closed_day, reason="检修")
        reader = threading.Thread(target=search_elsewhere)
        reader.start()
        reader.join()
    assert seen_elsewhere == [False]  # the other connection did not see the uncommitted closure, and cached that
    basis, _item = selectors.slot_basis_cached(unit_id=station.pk, item_id=item.pk)
    assert closed_day in basis.closed


def test_warm_answer_is_only_served_to_queries_the_validated_path_accepts(api, clock, station, item):
    resident = client_for(ResidentFactory())
    query = {"item": item.pk, "date_from": "2026-03-03", "date_to": "2026-03-04"}
    url = f"/api/v1/units/{station.pk}/slots/"
    cold = api.get(url, query).json()
    assert resident.get(url, query).json() == cold  # a logged-in resident gets the same stored answer
    for bad in ({"item": "abc"}, {"item": "0"}, {"date_from": "2026-02-30"}, {"date_from": "03/03/2026"},
                {"date_from": "2026-03-05", "date_to": "2026-03-04"}):
        assert api.get(url, {**query, **bad}).status_code == 400, bad
    assert api.get(url, {"item": item.pk, "date_from": "2026-03-03"}).json()["slots"]  # date_to: the horizon


def test_next_free_slots_look_past_the_first_days_when_those_are_closed(clock, station, item):
    near = selectors.slots_next_free(unit=station, item=item, after=local(3, 9, 10))
    assert [s.starts_at for s in near][:2] == [local(3, 9, 30), local(3, 9, 50)]
    Closure.objects.create(unit=station, date=datetime.date(2026, 3, 3), reason="线路检修")
    Closure.objects.create(unit=station, date=datetime.date(2026, 3, 4), reason="线路检修")
    later = selectors.slots_next_free(unit=station, item=item, after=local(3, 9, 10))
    assert len(later) == 5 and later[0].starts_at == local(5, 8, 30)


def test_closing_in_the_last_minute_of_the_day_means_midnight(api, settings, station, item):
    """The around-the-clock demo station closes at 23:59 (a TimeField cannot hold 24:00): with no minimum notice
    (make run), its 23:40 slot, which ends on the grid at midnight, is bookable at 23:30; a unit closing at 23:30
    has none after 23:10."""
    settings.BOOKING_MIN_NOTICE_MINUTES = 0

    def open_until(closes):
        OpeningHours.objects.filter(unit=station).delete()
        for weekday in range(7):
            OpeningHours.objects.create(unit=station, weekday=weekday, opens=datetime.time(0, 0), closes=closes)

    with time_machine.travel(local(2, 23, 30), tick=False):
        open_until(datetime.time(23, 59))
        starts = [s["starts_at"] for s in slot_times(api, station, item, "2026-03-02", "2026-03-03")["slots"]]
        assert starts[:2] == ["2026-03-02T23:40:00+08:00", "2026-03-03T00:00:00+08:00"]
        open_until(datetime.time(23, 30))
        starts = [s["starts_at"] for s in slot_times(api, station, item, "2026-03-02", "2026-03-03")["slots"]]
        assert starts[0] == "2026-03-03T00:00:00+08:00"


def test_a_search_ending_before_it_starts_is_refused_in_both_languages(api, clock, station, item):
    url = f"/api/v1/units/{station.pk}/slots/"
    reversed_dates = {"item": item.pk, "date_from": "2026-03-05", "date_to": "2026-03-04"}
    for language, text in (("zh-hans", "结束日期不能早于开始日期。"),
                           ("en", "The end date cannot be earlier than the start date.")):
        response = api.get(url, reversed_dates, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 400
        assert response.json() == {"code": "invalid", "detail": f"date_to: {text}", "fields": {"date_to": [text]}}
    # Past the horizon with no end given: the end the search fills in lies before the start.
    assert api.get(url, {"item": item.pk, "date_from": "2027-03-05"}).status_code == 400
