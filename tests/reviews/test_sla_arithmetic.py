"""Working-day deadlines (pure): weekends, public holidays and a unit's own closures are skipped."""
import datetime
from zoneinfo import ZoneInfo

import pytest

from reviews import sla

TZ = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime.datetime(*args, tzinfo=TZ)


# 2026-11-27 is a Friday.
@pytest.mark.parametrize(("start", "days", "closed", "due"), [
    (at(2026, 11, 25, 10), 1, set(), at(2026, 11, 26, 10)),  # Wed -> Thu
    (at(2026, 11, 27, 15), 1, set(), at(2026, 11, 30, 15)),  # Fri -> Mon (weekend skipped)
    (at(2026, 11, 28, 10), 1, set(), at(2026, 12, 1, 0)),  # Sat -> end of Monday
    (at(2026, 11, 27, 15), 1, {datetime.date(2026, 11, 30)}, at(2026, 12, 1, 15)),  # Monday a holiday
    (at(2026, 11, 25, 9), 5, {datetime.date(2026, 11, 26)}, at(2026, 12, 3, 9)),  # Thu closed
    (at(2026, 9, 30, 12), 1, {datetime.date(2026, 10, d) for d in range(1, 8)}, at(2026, 10, 8, 12)),
])
def test_deadline(start, days, closed, due):
    warn_at, due_at = sla.deadline_window(start, days, closed=closed, tz=TZ)
    assert due_at == due
    assert start < warn_at < due_at
    elapsed = sla.working_seconds_between(start, warn_at, closed=closed, tz=TZ)
    assert elapsed == pytest.approx(0.8 * days * 86400)


def test_working_seconds_skip_weekend():
    assert sla.working_seconds_between(at(2026, 11, 27, 12), at(2026, 11, 30, 12), closed=set(), tz=TZ) == 86400
    assert sla.working_seconds_between(at(2026, 11, 30, 12), at(2026, 11, 27, 12), closed=set(), tz=TZ) == 0
