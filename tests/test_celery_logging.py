"""The Celery worker logs through the project's LOGGING (structured, ID and phone numbers redacted), not through
the plain handlers Celery would otherwise install on the root logger."""
import logging

import pytest

from config.celery import app


@pytest.fixture
def worker_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    app.log.already_setup = False
    app.log.setup_logging_subsystem(loglevel="INFO")  # what `celery worker` runs at start
    yield root
    app.log.already_setup = False
    root.handlers[:] = handlers
    root.setLevel(level)


def test_worker_log_lines_are_redacted(worker_logging):
    handler = worker_logging.handlers[0]
    record = logging.LogRecord("reviews.tasks", logging.ERROR, __file__, 1,
                               'Failing row contains (371702195803120013, 13800000001)', None, None)

    line = handler.format(record)

    assert "371702195803120013" not in line and "13800000001" not in line
    assert "3717**********0013" in line and "138****0001" in line
    assert '"logger": "reviews.tasks"' in line or "reviews.tasks" in line
