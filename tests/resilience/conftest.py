"""The local production profile (scripts/prod_local.py) for the resilience tests, and clients for it.

Everything is on loopback: PostgreSQL of this machine (a fresh database of our own, whose connections we
may terminate), a private redis-server on its own port (stopped and started by the tests; the machine's
Redis on 6379 is never touched), two Daphne processes, a Celery worker (solo pool) and beat.

The tests marked `resilience` start that profile once per session (about two minutes) and are skipped
unless asked for: `RESILIENCE=1 pytest tests/resilience` or `pytest -m resilience`.
"""
import os

import pytest

from scripts.prod_local import LocalProfile


def pytest_collection_modifyitems(config, items):
    wanted = os.environ.get("RESILIENCE") == "1" or "resilience" in (config.getoption("-m") or "")
    if wanted:
        return
    skip = pytest.mark.skip(reason="starts the local production profile: RESILIENCE=1 or -m resilience")
    for item in items:
        if item.get_closest_marker("resilience"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def profile():
    profile = LocalProfile(name=f"vc_resilience_{os.getpid()}", redis_port=6392, web_ports=(8111, 8112),
                           extra_env={"CALL_RECONNECT_GRACE_SECONDS": "60"})
    try:
        profile.up()
        yield profile
    finally:
        profile.down()
