"""Fixtures of the review tests; their helpers are in tests/support/reviews.py."""
import datetime

import pytest
import time_machine

from reviews import services
from stations.models import Closure
from tests.support.places import STATION, TOWNSHIP_ITEM
from tests.support.reviews import agent_at, complete_materials, local, make_booking, reviewer_at


@pytest.fixture(autouse=True)
def _reviews_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALING_REQUIRED = False


@pytest.fixture
def assigned_case(org, resident, django_capture_on_commit_callbacks):
    """A 1-working-day township case assigned on Friday 2026-12-25 10:00; Monday the 28th is a public holiday."""
    Closure.objects.get_or_create(unit=None, date=datetime.date(2026, 12, 28), defaults={"reason": "测试假日"})
    station_reviewer = reviewer_at(STATION)
    agent = agent_at(STATION)
    with time_machine.travel(local(2026, 12, 25, 10, 0), tick=False):
        booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
        complete_materials(booking)
        case = services.case_create(actor=agent, booking=booking, form_data={"household_type": "本地户籍"})
        with django_capture_on_commit_callbacks(execute=True):
            services.case_submit(case=case, actor=agent)
    case.refresh_from_db()
    assert case.assignee == station_reviewer
    return case
