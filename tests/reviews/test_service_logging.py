"""Case services log under their own module's name (reviews.services.<part>), so a log filter or alert on a
logger keeps working however the package is arranged; nothing logs under the shared helpers' module."""
import logging

import pytest

from tests.factories import client_for
from tests.support.places import STATION, TOWNSHIP_ITEM
from tests.support.reviews import agent_at, complete_materials, make_booking

pytestmark = pytest.mark.django_db


def _loggers_by_event(records) -> dict[str, str]:
    """event name -> logger name, for the structlog records (their message is the event dict)."""
    return {record.msg["event"]: record.name for record in records if isinstance(record.msg, dict)}


def test_case_events_are_logged_under_the_service_module_that_wrote_them(resident, caplog,
                                                                          django_capture_on_commit_callbacks):
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(booking)
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        case = client_for(agent).post("/api/v1/cases/", {"booking_id": booking.pk,
                                                         "form_data": {"household_type": "本地户籍"}}, format="json")
        assert case.status_code == 201, case.json()
        submitted = client_for(agent).post(f"/api/v1/cases/{case.json()['id']}/submit/")
        assert submitted.status_code == 200, submitted.json()

    loggers = _loggers_by_event(caplog.records)
    assert loggers["case.created"] == "reviews.services.opening"
    assert loggers["case.submitted"] == "reviews.services.submission"
    assert loggers["case.routed"] == "reviews.services.assignment"
    assert not [name for name in loggers.values() if name.endswith(".common")]
