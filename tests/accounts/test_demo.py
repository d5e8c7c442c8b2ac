"""The demo data: an around-the-clock demo station with a slot soon after any hour, and every demo account that
receives a code doing so by SMS (the console in the embedded profile)."""
import datetime
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from accounts.demo import DEMO_AGENT, DEMO_STATION_CODE, demo_walkthrough
from accounts.models import User
from bookings.models import ServiceItem
from bookings.selectors import slot_list
from stations.models import StaffMembership, Unit

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _load() -> str:
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def test_the_demo_station_is_marked_and_open_every_day_around_the_clock(org):
    _load()
    _load()  # idempotent
    station = Unit.objects.get(code=DEMO_STATION_CODE)
    assert station.is_demo and station.kind == Unit.Kind.TOWNSHIP_STATION and "演示" in station.name
    hours = sorted(station.opening_hours.values_list("weekday", "opens", "closes"))
    assert hours == [(d, datetime.time(0, 0), datetime.time(23, 59)) for d in range(7)]
    rights = StaffMembership.objects.get(user__username=DEMO_AGENT, unit=station)
    assert rights.is_agent and rights.is_reviewer and rights.is_seal_keeper


@pytest.mark.parametrize(("hour", "minute"), [(12, 45), (23, 30), (23, 40), (3, 5)])
def test_a_slot_starts_soon_after_any_hour_without_minimum_notice(org, settings, hour, minute):
    settings.BOOKING_MIN_NOTICE_MINUTES = 0  # what `make run` sets for the embedded demo
    _load()
    station = Unit.objects.get(code=DEMO_STATION_CODE)
    item = ServiceItem.objects.get(name="城乡居民基本医疗保险参保登记")
    # Wednesday 4 March 2026: no public holiday near it.
    now = datetime.datetime(2026, 3, 4, hour, minute, tzinfo=TZ)
    with time_machine.travel(now, tick=False):
        slots = slot_list(unit=station, item=item, date_from=now.date(), date_to=now.date() + datetime.timedelta(1),
                          now=now)
    assert slots, "no free slot at the demo station"
    # The next step of the 20-minute grid, also the 23:40 one that ends at midnight.
    assert now <= slots[0].starts_at <= now + datetime.timedelta(minutes=20)


def test_every_demo_account_that_receives_a_code_has_a_phone_of_its_own(org):
    # A resident who signed up with a number of the staff range keeps it; staff get the free ones around it.
    User.objects.create(username="r16600000002", role=User.Role.RESIDENT, phone="16600000002")
    logins = _load()
    staff = User.objects.exclude(role__in=[User.Role.RESIDENT, User.Role.ADMINISTRATOR]).filter(
        memberships__isnull=False).distinct()
    assert staff.filter(username=DEMO_AGENT).exists() and staff.count() > 20
    phones = list(staff.values_list("phone", flat=True))
    assert all(phones) and len(set(phones)) == len(phones)
    assert not User.objects.filter(role=User.Role.RESIDENT, phone__in=phones).exists()
    assert "16600000001" in phones and "16600000003" in phones
    assert DEMO_AGENT in logins


def test_the_walkthrough_names_the_windows_accounts_and_the_console(org):
    out = io.StringIO()
    call_command("load_demo", "--walkthrough", "http://127.0.0.1:9000/", stdout=out)
    text = out.getvalue()
    for needle in ("13800000001", DEMO_AGENT, "ws371702-reviewer", "http://127.0.0.1:9000/console/",
                   "http://127.0.0.1:9000/desk/", "console"):
        assert needle in text
    assert not User.objects.filter(username=DEMO_AGENT).exists()  # printing changes nothing


def test_the_walkthrough_names_the_buttons_as_the_pages_label_them():
    """The item needs an ID card before its case can be submitted: the walk-through says how the agent takes it,
    with the buttons' own labels (tests/frontend/test_demo_walk.py walks it in a browser)."""
    text = demo_walkthrough(base_url="http://127.0.0.1:9000", password="pw")
    templates = Path(__file__).resolve().parents[2] / "frontend" / "templates" / "frontend"
    pages = {name: (templates / f"{name}.html").read_text()
             for name in ("console", "desk")}
    for page, label in (("console", "拍下并保存为材料"), ("console", "建立案件并提交审核"), ("desk", "获取确认码"),
                        ("desk", "提交决定")):
        assert label in text and label in pages[page], label
