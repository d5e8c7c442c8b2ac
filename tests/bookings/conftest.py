"""Fixtures of the booking tests: a fixed clock, a station with known hours, an item. Helpers to book are in
tests/support/bookings.py."""
import datetime

import pytest
import time_machine

from bookings.models import ServiceItem
from stations.models import OpeningHours, Unit
from tests.support.bookings import MONDAY_7AM


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
