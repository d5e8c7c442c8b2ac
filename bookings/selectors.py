"""Reads of the catalog and bookings: slots, visibility, materials checklist."""
import datetime
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from bookings.conf import booking_setting
from bookings.models import (
    Booking,
    Category,
    Material,
    MaterialRequirement,
    ServiceItem,
    SlotSeat,
    WaitlistEntry,
    WaitlistStatus,
)
from config.errors import NotFound
from stations.models import Closure, OpeningHours, StaffMembership, Unit
from stations.selectors import closed_dates

BOOKABLE_UNIT_KINDS = (Unit.Kind.TOWNSHIP_STATION, Unit.Kind.COUNTY_WORKSTATION)


def category_list() -> QuerySet[Category]:
    items = ServiceItem.objects.filter(active=True).prefetch_related("requirements").order_by("code")
    return Category.objects.prefetch_related(Prefetch("items", queryset=items)).order_by("sort", "code")


def item_list(*, category_code: str | None = None, approval_level: str | None = None) -> QuerySet[ServiceItem]:
    items = ServiceItem.objects.filter(active=True).select_related("category").prefetch_related(
        Prefetch("requirements", queryset=MaterialRequirement.objects.order_by("sort"))
    )
    if category_code:
        items = items.filter(category__code=category_code)
    if approval_level:
        items = items.filter(approval_level=approval_level)
    return items.order_by("code")


# --- Slots ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_zone() -> ZoneInfo:
    return _zone(settings.TIME_ZONE)


@dataclass
class Slot:
    """A bookable start time for one item at one unit. `cells` are the grid cells it takes (session + buffer)."""

    starts_at: datetime.datetime
    ends_at: datetime.datetime
    cells: tuple[datetime.datetime, ...]
    capacity: int
    remaining: int = 0


@dataclass
class SlotBasis:
    """What slot generation needs from the unit: rarely changes, so slot search may read it from the cache."""

    unit_id: int
    kind: str
    active: bool
    video_lines: int
    hours: dict[int, list[tuple[datetime.time, datetime.time]]]
    closed: set[datetime.date]
    date_from: datetime.date
    date_to: datetime.date


def cells_needed(item: ServiceItem) -> int:
    return _cells_needed(item.session_minutes)


def _cells_needed(session_minutes: int) -> int:
    grid = booking_setting("BOOKING_GRID_MINUTES")
    return max(1, math.ceil((session_minutes + booking_setting("BOOKING_BUFFER_MINUTES")) / grid))


def slot_window(*, now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.date]:
    """The earliest bookable start (minimum notice) and the last bookable local date (horizon)."""
    now = now or timezone.now()
    earliest = now + datetime.timedelta(minutes=booking_setting("BOOKING_MIN_NOTICE_MINUTES"))
    last_day = now.astimezone(local_zone()).date() + datetime.timedelta(days=booking_setting("BOOKING_HORIZON_DAYS"))
    return earliest, last_day


def _grid_start(day: datetime.date, opens: datetime.time, zone: ZoneInfo, grid: int) -> datetime.datetime:
    minutes = opens.hour * 60 + opens.minute + (1 if opens.second or opens.microsecond else 0)
    minutes = math.ceil(minutes / grid) * grid  # cells sit on a fixed grid from midnight
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=zone) + datetime.timedelta(minutes=minutes)


def slot_basis_load(*, unit: Unit, date_from: datetime.date, date_to: datetime.date) -> SlotBasis:
    hours: dict[int, list[tuple[datetime.time, datetime.time]]] = {}
    for weekday, opens, closes in OpeningHours.objects.filter(unit=unit).values_list("weekday", "opens", "closes"):
        hours.setdefault(weekday, []).append((opens, closes))
    return SlotBasis(unit_id=unit.pk, kind=unit.kind, active=unit.active, video_lines=unit.video_lines,
                     hours={k: sorted(v) for k, v in hours.items()},
                     closed=closed_dates(unit=unit, date_from=date_from, date_to=date_to),
                     date_from=date_from, date_to=date_to)


# Slot search reads the basis from the cache (Redis in production); any change of units, opening
# hours or closures bumps the version (signals in bookings/apps.py). Booking itself never trusts
# the cache: booking_create validates against the database.
SLOT_BASIS_TTL = 300
SLOT_BASIS_VERSION_KEY = "bookings:slot-basis-version"


def slot_basis_version() -> int:
    return cache.get_or_set(SLOT_BASIS_VERSION_KEY, 1, timeout=None)


def slot_basis_invalidate(**_kwargs) -> None:
    # Now and after the commit: a search in between reads the old rows and caches them under the new version.
    _slot_basis_bump()
    transaction.on_commit(_slot_basis_bump)


def _slot_basis_bump() -> None:
    try:
        cache.incr(SLOT_BASIS_VERSION_KEY)
    except ValueError:
        cache.set(SLOT_BASIS_VERSION_KEY, 2, timeout=None)


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
            _earliest, last_day = slot_window(now=now)
            basis = slot_basis_load(unit=unit, date_from=today, date_to=last_day)
            missing[unit_key] = basis
    if item_facts is None:
        item = ServiceItem.objects.filter(pk=item_id).values("id", "session_minutes", "active").first()
        if item is not None:
            item_facts = item
            missing[item_key] = item
    if missing:
        cache.set_many(missing, timeout=SLOT_BASIS_TTL)
    return basis, item_facts


def seats_version(unit_id: int) -> int:
    return cache.get_or_set(seats_version_key(unit_id), 1, timeout=None)


def seats_changed(unit_id: int) -> None:
    """Called after a commit that took or freed seats of the unit: cached slot answers of it are stale."""
    try:
        cache.incr(seats_version_key(unit_id))
    except ValueError:
        cache.set(seats_version_key(unit_id), 2, timeout=None)


def seats_version_key(unit_id: int) -> str:
    return f"bookings:seats-version:{unit_id}"


def slot_search_key(*, unit_id: int, item_id: int, date_from, date_to, now) -> str:
    """The cache key of a slot answer; the answer is stored with the versions it was computed at.

    Slot starts sit on the grid, so "start >= now + notice" only changes when now + notice crosses
    a grid line: the key carries that line instead of the current time.
    """
    grid_seconds = booking_setting("BOOKING_GRID_MINUTES") * 60
    earliest = now.timestamp() + booking_setting("BOOKING_MIN_NOTICE_MINUTES") * 60
    boundary = int(-(-earliest // grid_seconds))
    return f"bookings:slots:{unit_id}:{item_id}:{date_from.isoformat()}:{date_to.isoformat()}:{boundary}"


def slot_answer_cached(*, unit_id: int, answer_key: str) -> tuple[bytes | None, tuple[int, int]]:
    """One cache round trip: the stored answer if it is still current, and the current (basis, seats) versions."""
    found = cache.get_many([SLOT_BASIS_VERSION_KEY, seats_version_key(unit_id), answer_key])
    basis_v = found.get(SLOT_BASIS_VERSION_KEY) or slot_basis_version()
    seats_v = found.get(seats_version_key(unit_id)) or seats_version(unit_id)
    stored = found.get(answer_key)
    if stored and stored[0] == basis_v and stored[1] == seats_v:
        return stored[2], (basis_v, seats_v)
    return None, (basis_v, seats_v)


def slots_from_basis(*, basis: SlotBasis, session_minutes: int, date_from: datetime.date, date_to: datetime.date,
                     now: datetime.datetime | None = None) -> list[Slot]:
    """Every slot that the rules allow in [date_from, date_to] (local dates), before counting bookings.

    Rules: the unit's opening hours per weekday (several intervals, e.g. a lunch break), its
    closures and public holidays, the item's session length plus the buffer rounded up to whole
    grid cells, the minimum notice and the horizon. Times are in the local zone (Asia/Shanghai).
    """
    zone = local_zone()
    earliest, last_day = slot_window(now=now)
    date_from = max(date_from, earliest.astimezone(zone).date(), basis.date_from)
    date_to = min(date_to, last_day, basis.date_to)
    if date_from > date_to or basis.kind not in BOOKABLE_UNIT_KINDS or not basis.active:
        return []
    grid = booking_setting("BOOKING_GRID_MINUTES")
    n_cells = _cells_needed(session_minutes)
    length = datetime.timedelta(minutes=grid * n_cells)
    session = datetime.timedelta(minutes=session_minutes)
    cell = datetime.timedelta(minutes=grid)
    offsets = [cell * i for i in range(n_cells)]
    slots = []
    day = date_from
    while day <= date_to:
        if day not in basis.closed:
            for opens, closes in basis.hours.get(day.weekday(), ()):
                start = _grid_start(day, opens, zone, grid)
                end_of_interval = datetime.datetime.combine(day, closes, tzinfo=zone)
                while start + length <= end_of_interval:
                    if start >= earliest:
                        slots.append(Slot(starts_at=start, ends_at=start + session,
                                          cells=tuple(start + o for o in offsets), capacity=basis.video_lines))
                    start += length
        day += datetime.timedelta(days=1)
    return slots


def slot_grid(*, unit: Unit, item: ServiceItem, date_from: datetime.date, date_to: datetime.date,
              now: datetime.datetime | None = None) -> list[Slot]:
    """The slots the rules allow, read fresh from the database (used to validate bookings)."""
    basis = slot_basis_load(unit=unit, date_from=date_from, date_to=date_to)
    return slots_from_basis(basis=basis, session_minutes=item.session_minutes, date_from=date_from,
                            date_to=date_to, now=now)


def seats_taken(*, unit: Unit | int, start: datetime.datetime, end: datetime.datetime) -> dict[datetime.datetime, int]:
    """Taken seats (bookings and waiting-list holds) per grid cell: one grouped query."""
    rows = (SlotSeat.objects.filter(unit=unit, starts_at__gte=start, starts_at__lt=end)
            .values("starts_at").annotate(taken=Count("id")).values_list("starts_at", "taken"))
    return dict(rows)


def with_remaining(*, unit: Unit | int, slots: list[Slot]) -> list[Slot]:
    if not slots:
        return slots
    taken = seats_taken(unit=unit, start=slots[0].cells[0], end=slots[-1].cells[-1] + datetime.timedelta(seconds=1))
    for slot in slots:
        slot.remaining = slot.capacity - max(taken.get(c, 0) for c in slot.cells)
    return slots


def slot_list(*, unit: Unit, item: ServiceItem, date_from: datetime.date, date_to: datetime.date,
              now: datetime.datetime | None = None, free_only: bool = True) -> list[Slot]:
    slots = with_remaining(unit=unit, slots=slot_grid(unit=unit, item=item, date_from=date_from, date_to=date_to,
                                                       now=now))
    return [s for s in slots if s.remaining > 0] if free_only else slots


@dataclass
class BookingTarget:
    """What validating a booking reads: the unit, the item (None if unknown) and the booking day's basis."""

    unit: Unit
    item: ServiceItem | None
    day: SlotBasis


# One statement: the unit, the item, the day's opening-hours intervals (one row each, or one row of NULLs)
# and whether the day is closed (the unit's closure or a public holiday). Portable SQL (PostgreSQL, SQLite).
_TARGET_SQL = """
SELECT u.id, u.kind, u.name, u.video_lines, u.active, i.id, i.code, i.name, i.session_minutes, i.active,
       h.opens, h.closes,
       EXISTS (SELECT 1 FROM {closure} AS c WHERE c.date = %s AND (c.unit_id IS NULL OR c.unit_id = u.id))
FROM {unit} AS u
LEFT JOIN {item} AS i ON i.id = %s
LEFT JOIN {hours} AS h ON h.unit_id = u.id AND h.weekday = %s
WHERE u.id = %s
"""
# Loaded fields, in the models' field order (Model.from_db); any other field is deferred, read if used.
_TARGET_UNIT_FIELDS = ["id", "kind", "name", "video_lines", "active"]
_TARGET_ITEM_FIELDS = ["id", "code", "name", "session_minutes", "active"]


@functools.cache
def _target_sql(vendor: str) -> str:
    quote = connection.ops.quote_name
    return _TARGET_SQL.format(**{name: quote(model._meta.db_table) for name, model in (
        ("closure", Closure), ("unit", Unit), ("item", ServiceItem), ("hours", OpeningHours))})


def _as_time(value) -> datetime.time:
    return value if isinstance(value, datetime.time) else datetime.time.fromisoformat(value)  # SQLite: text


def booking_target(*, unit_id: int, item_id: int, day: datetime.date) -> BookingTarget | None:
    """The unit, the item and the day's basis, fresh from the database in one statement; None if no such unit."""
    with connection.cursor() as cursor:
        cursor.execute(_target_sql(connection.vendor),
                       [connection.ops.adapt_datefield_value(day), item_id, day.weekday(), unit_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    first = rows[0]
    unit = Unit.from_db(connection.alias, _TARGET_UNIT_FIELDS, [*first[0:4], bool(first[4])])
    item = None if first[5] is None else ServiceItem.from_db(
        connection.alias, _TARGET_ITEM_FIELDS, [*first[5:9], bool(first[9])])
    hours = sorted((_as_time(row[10]), _as_time(row[11])) for row in rows if row[10] is not None)
    day_basis = SlotBasis(unit_id=unit.pk, kind=unit.kind, active=unit.active, video_lines=unit.video_lines,
                          hours={day.weekday(): hours} if hours else {}, closed={day} if first[12] else set(),
                          date_from=day, date_to=day)
    return BookingTarget(unit=unit, item=item, day=day_basis)


def slot_find(*, unit: Unit, item: ServiceItem, starts_at: datetime.datetime,
              now: datetime.datetime | None = None, day_basis: SlotBasis | None = None) -> Slot | None:
    """The generated slot starting exactly at `starts_at` (any time zone), or None.

    `day_basis`: that day's basis as booking_target read it moments ago; read here when not given.
    """
    day = starts_at.astimezone(local_zone()).date()
    if day_basis is None or day_basis.date_from != day:
        target = booking_target(unit_id=unit.pk, item_id=item.pk, day=day)
        if target is None:  # the unit is gone
            return None
        day_basis = target.day
    for slot in slots_from_basis(basis=day_basis, session_minutes=item.session_minutes, date_from=day, date_to=day,
                                 now=now):
        if slot.starts_at == starts_at:
            return slot
    return None


NEXT_FREE_FIRST_DAYS = 2


def slots_next_free(*, unit: Unit, item: ServiceItem, after: datetime.datetime | None = None,
                    limit: int = 5) -> list[Slot]:
    """The next free slots, offered to the loser of a race (HTTP 409). The first few days usually hold them:
    those are read first, the rest of the booking window only when they do not."""
    zone = local_zone()
    start_day = (after or timezone.now()).astimezone(zone).date()
    _earliest, last_day = slot_window()
    near_end = min(start_day + datetime.timedelta(days=NEXT_FREE_FIRST_DAYS - 1), last_day)
    slots = []
    for date_from, date_to in ((start_day, near_end), (near_end + datetime.timedelta(days=1), last_day)):
        if date_from > date_to:
            break
        found = slot_list(unit=unit, item=item, date_from=date_from, date_to=date_to)
        slots += [s for s in found if after is None or s.starts_at > after]
        if len(slots) >= limit:
            break
    return slots[:limit]


# --- Bookings ---------------------------------------------------------------------------

def staff_unit_ids(*, user, agent_only: bool = False) -> QuerySet:
    memberships = StaffMembership.objects.filter(user=user)
    if agent_only:
        memberships = memberships.filter(Q(is_agent=True) | Q(is_head=True))
    return memberships.values("unit_id")


def is_staff_of_unit(*, user, unit_id: int, agent_only: bool = False) -> bool:
    if not (user and user.is_authenticated and user.is_staff_member):
        return False
    memberships = StaffMembership.objects.filter(user=user, unit_id=unit_id)
    if agent_only:
        memberships = memberships.filter(Q(is_agent=True) | Q(is_head=True))
    return memberships.exists()


def bookings_visible_to(user) -> QuerySet[Booking]:
    """The resident's own bookings, those they booked for others, and for staff their units' bookings."""
    if not (user and user.is_authenticated):
        return Booking.objects.none()
    if user.is_superuser or user.role == user.Role.ADMINISTRATOR:
        return Booking.objects.all()
    visible = Q(resident=user) | Q(booked_by=user)
    if user.is_staff_member:
        visible |= Q(unit_id__in=staff_unit_ids(user=user))
    return Booking.objects.filter(visible)


def booking_get_for_user(*, user, booking_id) -> Booking:
    """The booking if `user` may see it; NotFound (404) otherwise, so ids of others' bookings leak nothing."""
    booking = (bookings_visible_to(user).select_related("unit", "item", "resident", "booked_by")
               .filter(pk=booking_id).first())
    if booking is None:
        from django.utils.translation import gettext as _

        raise NotFound(_("找不到该预约。"), code="booking_not_found")
    return booking


def booking_list_for_unit(*, unit_id: int, day: datetime.date) -> QuerySet[Booking]:
    zone = local_zone()
    start = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=zone)
    return (Booking.objects.filter(unit_id=unit_id, starts_at__gte=start, starts_at__lt=start + datetime.timedelta(1))
            .select_related("unit", "item", "resident", "booked_by").order_by("starts_at", "pk"))


# An item's checklist changes only when the catalog is edited (signals in bookings/apps.py drop it).
CHECKLIST_TTL = 300


def _checklist_key(item_id: int) -> str:
    return f"bookings:checklist:{item_id}"


def item_checklist(item_id: int) -> list[MaterialRequirement]:
    """The item's checklist in order, from the cache (what a new booking's answer shows)."""
    checklist = cache.get(_checklist_key(item_id))
    if checklist is None:
        checklist = list(MaterialRequirement.objects.filter(item_id=item_id).order_by("sort", "pk"))
        cache.set(_checklist_key(item_id), checklist, timeout=CHECKLIST_TTL)
    return checklist


def item_checklist_invalidate(*, instance: MaterialRequirement, **_kwargs) -> None:
    # Now, and after the commit: a reader in between may have cached the old list again.
    key = _checklist_key(instance.item_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def booking_missing_mandatory(booking: Booking) -> list[MaterialRequirement]:
    """The mandatory checklist entries of the booking's item with no material uploaded yet."""
    have = Material.objects.filter(booking=booking, requirement__isnull=False).values("requirement_id")
    return list(MaterialRequirement.objects.filter(item_id=booking.item_id, mandatory=True)
                .exclude(pk__in=have).order_by("sort"))


# --- Materials --------------------------------------------------------------------------

# Other apps (reviews: a case's reviewers) add a check here: fn(user, material) -> bool.
MATERIAL_READ_HOOKS: list[Callable] = []


def register_material_read_hook(hook: Callable) -> Callable:
    if hook not in MATERIAL_READ_HOOKS:
        MATERIAL_READ_HOOKS.append(hook)
    return hook


def material_readable_by(user, material: Material) -> bool:
    """The resident, the proxy, staff of the booking's unit, and whoever a registered hook admits."""
    if not (user and user.is_authenticated):
        return False
    booking = material.booking
    if user.pk in (booking.resident_id, booking.booked_by_id):
        return True
    if is_staff_of_unit(user=user, unit_id=booking.unit_id):
        return True
    return any(hook(user, material) for hook in MATERIAL_READ_HOOKS)


def waitlist_for_user(*, user) -> QuerySet[WaitlistEntry]:
    return (WaitlistEntry.objects.filter(resident=user, status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED])
            .select_related("unit", "item").order_by("date", "created_at"))
