"""Slots: the bookable start times the rules allow (opening hours, closures, notice, horizon) and the seats
left in them, read fresh from the database."""
import datetime
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from bookings.conf import booking_setting
from bookings.models import ServiceItem, SlotSeat
from bookings.selectors.rules import unit_bookable
from stations.models import OpeningHours, Unit
from stations.selectors import closed_dates

# An opening interval that closes at this time or later runs until midnight (see _interval_end).
CLOSES_AT_MIDNIGHT = datetime.time(23, 59)


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)  # zoneinfo keeps its own cache of zones


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


def slot_as_dict(slot: Slot) -> dict:
    """A slot as the API shows it (also inside error answers that offer the next free slots)."""
    # Slots are generated in the local zone already: isoformat() carries the +08:00 offset.
    return {"starts_at": slot.starts_at.isoformat(), "ends_at": slot.ends_at.isoformat(),
            "capacity": slot.capacity, "remaining": slot.remaining}


def cells_needed(session_minutes: int) -> int:
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


def _interval_end(day: datetime.date, closes: datetime.time, zone: ZoneInfo) -> datetime.datetime:
    """When an opening interval ends. A TimeField cannot hold 24:00, so closing in the day's last minute (23:59,
    as the around-the-clock demo station does) means midnight: the evening's last slot is not lost."""
    if closes >= CLOSES_AT_MIDNIGHT:
        return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0, 0), tzinfo=zone)
    return datetime.datetime.combine(day, closes, tzinfo=zone)


def _day_slots(*, basis: SlotBasis, day: datetime.date, session_minutes: int, earliest) -> list[Slot]:
    zone, grid = local_zone(), booking_setting("BOOKING_GRID_MINUTES")
    n_cells = cells_needed(session_minutes)
    length = datetime.timedelta(minutes=grid * n_cells)
    offsets = [datetime.timedelta(minutes=grid * i) for i in range(n_cells)]
    slots = []
    for opens, closes in basis.hours.get(day.weekday(), ()):
        start = _grid_start(day, opens, zone, grid)
        end_of_interval = _interval_end(day, closes, zone)
        while start + length <= end_of_interval:
            if start >= earliest:
                slots.append(Slot(starts_at=start, ends_at=start + datetime.timedelta(minutes=session_minutes),
                                  cells=tuple(start + o for o in offsets), capacity=basis.video_lines))
            start += length
    return slots


def slots_from_basis(*, basis: SlotBasis, session_minutes: int, date_from: datetime.date, date_to: datetime.date,
                     now: datetime.datetime | None = None) -> list[Slot]:
    """Every slot that the rules allow in [date_from, date_to] (local dates), before counting bookings.

    Rules: the unit's opening hours per weekday (several intervals, e.g. a lunch break), its
    closures and public holidays, the item's session length plus the buffer rounded up to whole
    grid cells, the minimum notice and the horizon. Times are in the local zone (Asia/Shanghai).
    """
    earliest, last_day = slot_window(now=now)
    date_from = max(date_from, earliest.astimezone(local_zone()).date(), basis.date_from)
    date_to = min(date_to, last_day, basis.date_to)
    if date_from > date_to or not unit_bookable(kind=basis.kind, active=basis.active):
        return []
    slots = []
    day = date_from
    while day <= date_to:
        if day not in basis.closed:
            slots += _day_slots(basis=basis, day=day, session_minutes=session_minutes, earliest=earliest)
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


def slot_find(*, unit: Unit, item: ServiceItem, starts_at: datetime.datetime,
              now: datetime.datetime | None = None) -> Slot | None:
    """The generated slot starting exactly at `starts_at` (any time zone), or None. Read fresh: booking
    never trusts the cache."""
    day = starts_at.astimezone(local_zone()).date()
    for slot in slot_grid(unit=unit, item=item, date_from=day, date_to=day, now=now):
        if slot.starts_at == starts_at:
            return slot
    return None


NEXT_FREE_FIRST_DAYS = 2


def slots_next_free(*, unit: Unit, item: ServiceItem, after: datetime.datetime | None = None,
                    limit: int = 5) -> list[Slot]:
    """The next free slots, offered to the loser of a race (HTTP 409). The first few days usually hold them:
    those are read first, the rest of the booking window only when they do not."""
    start_day = (after or timezone.now()).astimezone(local_zone()).date()
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
