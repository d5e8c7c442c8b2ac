"""Fixtures of the booking tests: a fixed clock, a station with known hours, an item, helpers to book."""
import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine

from bookings.models import ServiceItem
from stations.models import OpeningHours, Unit
from tests.factories import client_for  # noqa: F401  (re-exported for the tests of this folder)

TZ = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2026, 07:00 in Heze: no public holiday in the next 14 days.
MONDAY_7AM = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=TZ)
_keys = itertools.count(1)


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.fixture
def clock():
    with time_machine.travel(MONDAY_7AM, tick=False) as traveller:
        yield traveller


@pytest.fixture
def station(org):
    """A township station, Monday to Friday 08:30-12:00 and 13:30-17:30, two video lines."""
    unit = Unit.objects.get(code="371702001")
    OpeningHours.objects.filter(unit=unit).delete()
    for weekday in range(5):
        OpeningHours.objects.create(unit=unit, weekday=weekday, opens=datetime.time(8, 30),
                                    closes=datetime.time(12, 0))
        OpeningHours.objects.create(unit=unit, weekday=weekday, opens=datetime.time(13, 30),
                                    closes=datetime.time(17, 30))
    Unit.objects.filter(pk=unit.pk).update(video_lines=2)
    unit.refresh_from_db()
    return unit


@pytest.fixture
def item(org):
    """A 15-minute item with a mandatory material: with the 5-minute buffer, a slot is 20 minutes."""
    return (ServiceItem.objects.filter(session_minutes=15, active=True, requirements__mandatory=True)
            .order_by("code").first())


def book(client, unit, item, starts_at, *, key=None, resident=None):
    body = {"unit": unit.pk, "item": item.pk, "starts_at": starts_at.isoformat()}
    if resident is not None:
        body["resident"] = resident
    return client.post("/api/v1/bookings/", body, format="json",
                       HTTP_IDEMPOTENCY_KEY=key or f"test-key-{next(_keys)}")
