"""The booking tests' clock and a way to book through the API."""
import datetime
import itertools
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
# Monday 2 March 2026, 07:00 in Heze: no public holiday in the next 14 days.
MONDAY_7AM = datetime.datetime(2026, 3, 2, 7, 0, tzinfo=TZ)
_keys = itertools.count(1)


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=TZ)


def book(client, unit, item, starts_at, *, key=None, resident=None):
    body = {"unit": unit.pk, "item": item.pk, "starts_at": starts_at.isoformat()}
    if resident is not None:
        body["resident"] = resident
    return client.post("/api/v1/bookings/", body, format="json",
                       HTTP_IDEMPOTENCY_KEY=key or f"test-key-{next(_keys)}")
