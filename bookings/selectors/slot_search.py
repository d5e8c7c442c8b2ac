"""Slot search, the hottest public read, through the cache (Redis in production).

Two version counters say when a stored answer is stale: the basis version (any change of units, opening
hours, closures or items: signals in bookings/apps.py) and the unit's seats version (bumped after every
commit that takes or frees a seat). Booking itself never trusts the cache: it validates against the database.
"""
import datetime

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.conf import booking_setting
from bookings.models import ServiceItem
from bookings.selectors.catalog import item_not_found, unit_not_found
from bookings.selectors.rules import unit_bookable_check
from bookings.selectors.slots import (
    SlotBasis,
    local_zone,
    slot_as_dict,
    slot_basis_load,
    slot_window,
    slots_from_basis,
    with_remaining,
)
from stations.models import Unit

SLOT_BASIS_TTL = 300
SLOT_BASIS_VERSION_KEY = "bookings:slot-basis-version"


def _version(key: str) -> int:
    return cache.get_or_set(key, 1, timeout=None)


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:  # no counter yet
        cache.set(key, 2, timeout=None)


def slot_basis_version() -> int:
    return _version(SLOT_BASIS_VERSION_KEY)


def slot_basis_invalidate(**_kwargs) -> None:
    # Now and after the commit: a search in between reads the old rows and caches them under the new version.
    _bump(SLOT_BASIS_VERSION_KEY)
    transaction.on_commit(lambda: _bump(SLOT_BASIS_VERSION_KEY))


def seats_version_key(unit_id: int) -> str:
    return f"bookings:seats-version:{unit_id}"


def seats_changed(unit_id: int) -> None:
    """Called after a commit that took or freed seats of the unit: cached slot answers of it are stale."""
    _bump(seats_version_key(unit_id))


def slot_basis_cached(*, unit_id: int, item_id: int, now=None,
                      version: int | None = None) -> tuple[SlotBasis | None, dict | None]:
    """(basis for today up to the horizon, item facts) from the cache, loading what is missing; None if unknown."""
    now = now or timezone.now()
    today = now.astimezone(local_zone()).date()
    version = version or slot_basis_version()
    unit_key = f"bookings:slot-basis:{version}:{unit_id}:{today.isoformat()}"
    item_key = f"bookings:slot-item:{version}:{item_id}"
    found = cache.get_many([unit_key, item_key])
    basis, item_facts = found.get(unit_key), found.get(item_key)
    missing = {}
    if basis is None:
        unit = Unit.objects.filter(pk=unit_id).first()
        if unit is not None:
            basis = missing[unit_key] = slot_basis_load(unit=unit, date_from=today, date_to=slot_window(now=now)[1])
    if item_facts is None:
        item_facts = ServiceItem.objects.filter(pk=item_id).values("id", "session_minutes", "active").first()
        if item_facts is not None:
            missing[item_key] = item_facts
    if missing:
        cache.set_many(missing, timeout=SLOT_BASIS_TTL)
    return basis, item_facts


def _answer_key(*, unit_id: int, item_id: int, date_from, date_to, now) -> str:
    """Slot starts sit on the grid, so "start >= now + notice" only changes when now + notice crosses a grid
    line: the key carries that line instead of the current time."""
    grid_seconds = booking_setting("BOOKING_GRID_MINUTES") * 60
    earliest = now.timestamp() + booking_setting("BOOKING_MIN_NOTICE_MINUTES") * 60
    boundary = int(-(-earliest // grid_seconds))
    return f"bookings:slots:{unit_id}:{item_id}:{date_from.isoformat()}:{date_to.isoformat()}:{boundary}"


def slot_search_window(*, date_from: datetime.date | None, date_to: datetime.date | None,
                       now=None) -> tuple[datetime.date, datetime.date]:
    """The dates searched when the client leaves them out: from today up to the horizon."""
    today = (now or timezone.now()).astimezone(local_zone()).date()
    return (date_from or today,
            date_to or today + datetime.timedelta(days=booking_setting("BOOKING_HORIZON_DAYS")))


def _answer_compute(*, unit_id: int, item_id: int, date_from, date_to, now, basis_version: int) -> dict:
    basis, item = slot_basis_cached(unit_id=unit_id, item_id=item_id, now=now, version=basis_version)
    if basis is None:
        raise unit_not_found()
    if item is None:
        raise item_not_found()
    unit_bookable_check(kind=basis.kind, active=basis.active)
    slots = [] if not item["active"] else slots_from_basis(
        basis=basis, session_minutes=item["session_minutes"], date_from=date_from, date_to=date_to, now=now)
    slots = [s for s in with_remaining(unit=unit_id, slots=slots) if s.remaining > 0]
    return {"unit": basis.unit_id, "item": item["id"], "time_zone": str(local_zone()),
            "capacity": basis.video_lines, "slots": [slot_as_dict(s) for s in slots]}


def slot_search(*, unit_id: int, item_id: int, date_from: datetime.date | None = None,
                date_to: datetime.date | None = None, now=None) -> dict:
    """The free slots of a unit for an item, as the API answers them; a missing end of the dates is filled in by
    slot_search_window, an end before the start refused. The answer is reused while no seat of the unit, its
    hours, closures or the notice boundary changed: then one cache round trip, no database."""
    now = now or timezone.now()
    date_from, date_to = slot_search_window(date_from=date_from, date_to=date_to, now=now)
    if date_to < date_from:
        raise ValidationError({"date_to": _("结束日期不能早于开始日期。")})
    answer_key = _answer_key(unit_id=unit_id, item_id=item_id, date_from=date_from, date_to=date_to, now=now)
    seats_key = seats_version_key(unit_id)
    found = cache.get_many([SLOT_BASIS_VERSION_KEY, seats_key, answer_key])
    versions = (found.get(SLOT_BASIS_VERSION_KEY) or slot_basis_version(), found.get(seats_key) or _version(seats_key))
    stored = found.get(answer_key)
    if stored and stored[0] == versions:
        return stored[1]
    answer = _answer_compute(unit_id=unit_id, item_id=item_id, date_from=date_from, date_to=date_to, now=now,
                             basis_version=versions[0])
    cache.set(answer_key, (versions, answer), timeout=SLOT_BASIS_TTL)
    return answer
