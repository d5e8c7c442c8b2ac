"""Working days at a unit: closures, deadlines and time taken."""
import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q

from reviews import sla
from stations.models import Closure


def bureau_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def closed_days(*, unit_id: int | None, date_from: datetime.date, date_to: datetime.date) -> set[datetime.date]:
    """Public holidays and the unit's own closures in the range."""
    unit = Q(unit__isnull=True) | Q(unit_id=unit_id) if unit_id is not None else Q(unit__isnull=True)
    return set(Closure.objects.filter(unit, date__range=(date_from, date_to)).values_list("date", flat=True))


def deadline_for(*, unit_id: int, start: datetime.datetime, days: int) -> tuple[datetime.datetime, datetime.datetime]:
    """(warn_at, due_at) for `days` working days from `start` at the unit."""
    tz = bureau_tz()
    first, last = sla.closed_days_span(start.astimezone(tz), days)
    closed = closed_days(unit_id=unit_id, date_from=first, date_to=last)
    return sla.deadline_window(start, days, closed=closed, tz=tz, warn_fraction=settings.REVIEWS_WARN_PERCENT / 100)


def working_days_between(*, unit_id: int | None, start: datetime.datetime, end: datetime.datetime) -> float:
    tz = bureau_tz()
    closed = closed_days(unit_id=unit_id, date_from=start.astimezone(tz).date(), date_to=end.astimezone(tz).date())
    return sla.working_seconds_between(start, end, closed=closed, tz=tz) / sla.DAY_SECONDS
