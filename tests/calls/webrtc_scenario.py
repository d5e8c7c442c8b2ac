"""Prepares people and a call in the database a test Daphne uses; prints ids and session cookies as JSON.

Run as `python -m tests.calls.webrtc_scenario booked|ad_hoc` with the same DATABASE_URL as that Daphne,
so the set-up works whether the test database is PostgreSQL or an SQLite file.
"""
import json
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

import random  # noqa: E402

from accounts.models import User  # noqa: E402
from calls import services  # noqa: E402
from tests.factories import StaffFactory, session_cookie  # noqa: E402
from tests.support.calls import make_booking, make_org, make_staff  # noqa: E402
from tests.support.calls import make_resident as _make_resident  # noqa: E402

# The file database outlives one scenario: keep factory sequences from colliding with earlier runs.
StaffFactory.reset_sequence(random.randint(10**5, 10**9))


def make_resident(org):
    return _make_resident(org, phone=f"139{random.randint(0, 10**8 - 1):08d}", id_number=None)


def booked() -> dict:
    org = make_org()
    resident = make_resident(org)
    agent = make_staff(org.station1a)
    booking = make_booking(org, resident=resident)
    return {"call_id": str(booking.call.pk), "booking_id": booking.pk,
            "cookies": {"resident": session_cookie(resident), "agent": session_cookie(agent)}}


def ad_hoc() -> dict:
    org = make_org()
    agent = make_staff(org.station1a)
    reviewer = make_staff(org.workstation1, role=User.Role.REVIEWER, is_agent=False, is_reviewer=True)
    resident = make_resident(org)
    call = services.call_start(caller=agent, resident_id=resident.pk, unit_ids=[org.workstation1.pk],
                               topic="三方会商")
    return {"call_id": str(call.pk), "workstation_id": org.workstation1.pk,
            "cookies": {"agent": session_cookie(agent), "reviewer": session_cookie(reviewer),
                        "resident": session_cookie(resident)}}


if __name__ == "__main__":
    print(json.dumps({"booked": booked, "ad_hoc": ad_hoc}[sys.argv[1]]()))
