"""Working-day arithmetic for SLA deadlines. Pure functions: the caller passes the closed days.

A working day is a weekday that is not a closure (a public holiday or the unit's own closure day).
Time counts only inside working days, whole days in the bureau's time zone: the time limit of N
working days started on Friday 15:00 ends on Monday 15:00; started on a Saturday it ends at the end
of Monday (N = 1).
"""
import datetime
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

DAY = datetime.timedelta(days=1)
DAY_SECONDS = 86400.0


def is_working_day(day: datetime.date, closed: Iterable[datetime.date] | set) -> bool:
    return day.weekday() < 5 and day not in closed


def _local(moment: datetime.datetime, tz: ZoneInfo) -> datetime.datetime:
    return moment.astimezone(tz)


def _midnight(day: datetime.date, tz: ZoneInfo) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(0), tzinfo=tz)


def add_working_time(start: datetime.datetime, seconds: float, *, closed: set, tz: ZoneInfo,
                     max_days: int = 400) -> datetime.datetime:
    """The moment `seconds` of working time after `start`."""
    local = _local(start, tz)
    day = local.date()
    cursor = local
    remaining = seconds
    for _ in range(max_days):
        next_midnight = _midnight(day + DAY, tz)
        if is_working_day(day, closed):
            available = (next_midnight - cursor).total_seconds()
            if remaining <= available:
                return cursor + datetime.timedelta(seconds=remaining)
            remaining -= available
        day += DAY
        cursor = next_midnight
    raise ValueError("deadline beyond the range of closures given")


def working_seconds_between(start: datetime.datetime, end: datetime.datetime, *, closed: set,
                            tz: ZoneInfo) -> float:
    """Working time elapsed from `start` to `end` (0 when end is before start)."""
    if end <= start:
        return 0.0
    cursor = _local(start, tz)
    stop = _local(end, tz)
    total = 0.0
    while cursor < stop:
        day = cursor.date()
        next_midnight = _midnight(day + DAY, tz)
        segment_end = min(next_midnight, stop)
        if is_working_day(day, closed):
            total += (segment_end - cursor).total_seconds()
        cursor = next_midnight
    return total


def deadline_window(start: datetime.datetime, days: int, *, closed: set, tz: ZoneInfo,
                    warn_fraction: float = 0.8) -> tuple[datetime.datetime, datetime.datetime]:
    """(warn_at, due_at) for a limit of `days` working days started at `start`."""
    total = days * DAY_SECONDS
    return (add_working_time(start, total * warn_fraction, closed=closed, tz=tz),
            add_working_time(start, total, closed=closed, tz=tz))


def closed_days_span(start: datetime.datetime, days: int) -> tuple[datetime.date, datetime.date]:
    """A calendar range wide enough to hold `days` working days from `start` (holidays included)."""
    first = start.date() - DAY
    return first, first + datetime.timedelta(days=days * 2 + 40)


ClosedLookup = Callable[[datetime.date, datetime.date], set]
