"""Seats, the capacity invariant: a slot's grid cells each hold at most `video_lines` seats, and the database
(the unique (unit, starts_at, seat) constraint) refuses one more; one resident never holds two overlapping
bookings (the exclusion constraint on PostgreSQL)."""
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from bookings import selectors
from bookings.models import ACTIVE_BOOKING_STATUSES, Booking, ServiceItem, SlotSeat, WaitlistEntry
from core.errors import Conflict
from stations.models import Unit


class SlotTaken(Exception):
    """A cell had no free seat; turned into SlotFull (409 with the next free slots) outside the transaction."""


class SlotFull(Conflict):
    """409 for a full slot; carries the next free slots, read once the failed transaction is over."""

    code = "slot_full"

    def __init__(self, *, unit: Unit, item: ServiceItem, starts_at):
        super().__init__(_("该时段已约满，请选择其他时段。"))
        self.unit, self.item, self.starts_at = unit, item, starts_at
        if not transaction.get_connection().in_atomic_block:
            self.add_next_slots()

    def add_next_slots(self) -> None:
        if "next_slots" not in self.extra:
            self.extra["next_slots"] = [selectors.slot_as_dict(s) for s in selectors.slots_next_free(
                unit=self.unit, item=self.item, after=self.starts_at)]


def seats_release(**lookup) -> None:
    """Free seats (of a booking or a hold) and mark the unit's cached slot answers stale."""
    unit_ids = set(SlotSeat.objects.filter(**lookup).values_list("unit_id", flat=True).distinct())
    SlotSeat.objects.filter(**lookup).delete()
    for unit_id in unit_ids:
        seats_touched(unit_id)


def seats_touched(unit_id: int) -> None:
    # After the commit: until then no other reader sees the change, and an answer computed meanwhile from the
    # old state is dropped by this bump.
    transaction.on_commit(lambda: selectors.seats_changed(unit_id))


def seats_claim(*, unit: Unit, cells, booking: Booking | None = None, hold: WaitlistEntry | None = None) -> None:
    """Claim one seat (1..capacity) in every cell, or raise SlotTaken.

    The unique (unit, starts_at, seat) constraint decides races: a concurrent claim of the same
    seat waits for the other transaction and then fails. On PostgreSQL one statement per attempt
    picks the lowest free seat of every cell and inserts it with ON CONFLICT DO NOTHING (no savepoint);
    elsewhere (SQLite, where IMMEDIATE transactions already serialise writers) one read and one insert.
    """
    if connection.vendor == "postgresql":
        _seats_claim_statement(unit=unit, cells=cells, booking=booking, hold=hold)
    else:
        _seats_claim_orm(unit=unit, cells=cells, booking=booking, hold=hold)
    seats_touched(unit.pk)


# Raw SQL because the ORM cannot say INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING.
# For every cell the lowest seat number not taken in the statement's snapshot (NULL: the cell is full),
# inserted unless a concurrent transaction committed the same seat meanwhile (then it is not RETURNED
# and the next attempt, with a fresh snapshot, picks another one).
_SEATS_CLAIM_SQL = """
WITH wanted AS (
    SELECT c.cell, (SELECT n FROM generate_series(1, %(capacity)s) AS n
                    WHERE NOT EXISTS (SELECT 1 FROM {table} AS s
                                      WHERE s.unit_id = %(unit)s AND s.starts_at = c.cell AND s.seat = n)
                    ORDER BY n LIMIT 1) AS seat
    FROM unnest(%(cells)s::timestamptz[]) AS c(cell)
), claimed AS (
    INSERT INTO {table} (unit_id, starts_at, seat, booking_id, hold_id)
    SELECT %(unit)s, cell, seat, %(booking)s, %(hold)s FROM wanted WHERE seat IS NOT NULL
    ON CONFLICT (unit_id, starts_at, seat) DO NOTHING
    RETURNING starts_at
)
SELECT (SELECT count(*) FROM wanted WHERE seat IS NULL), ARRAY(SELECT starts_at FROM claimed)
"""


def _seats_claim_statement(*, unit: Unit, cells, booking, hold) -> None:
    sql = _SEATS_CLAIM_SQL.format(table=connection.ops.quote_name(SlotSeat._meta.db_table))
    remaining = list(cells)
    with connection.cursor() as cursor:
        for _attempt in range(unit.video_lines + 1):
            cursor.execute(sql, {"capacity": unit.video_lines, "unit": unit.pk, "cells": remaining,
                                 "booking": booking.pk if booking else None, "hold": hold.pk if hold else None})
            full, claimed = cursor.fetchone()
            if full:
                raise SlotTaken()
            remaining = [cell for cell in remaining if cell not in set(claimed)]
            if not remaining:
                return
    raise SlotTaken()


def _seats_claim_orm(*, unit: Unit, cells, booking, hold) -> None:
    capacity = unit.video_lines
    taken: dict = {}
    for cell, seat in SlotSeat.objects.filter(unit=unit, starts_at__in=cells).values_list("starts_at", "seat"):
        taken.setdefault(cell, set()).add(seat)
    first_free = {}
    for cell in cells:
        free = [n for n in range(1, capacity + 1) if n not in taken.get(cell, ())]
        if not free:
            raise SlotTaken()
        first_free[cell] = free[0]
    try:
        with transaction.atomic():
            SlotSeat.objects.bulk_create([SlotSeat(unit=unit, starts_at=cell, seat=seat, booking=booking, hold=hold)
                                          for cell, seat in first_free.items()])
    except IntegrityError:
        for cell in cells:
            _seat_claim_one(unit=unit, cell=cell, booking=booking, hold=hold)


def _seat_claim_one(*, unit: Unit, cell, booking, hold) -> None:
    capacity = unit.video_lines
    for _attempt in range(capacity + 1):
        taken = set(SlotSeat.objects.filter(unit=unit, starts_at=cell).values_list("seat", flat=True))
        free = [n for n in range(1, capacity + 1) if n not in taken]
        if not free:
            raise SlotTaken()
        try:
            with transaction.atomic():
                SlotSeat.objects.create(unit=unit, starts_at=cell, seat=free[0], booking=booking, hold=hold)
            return
        except IntegrityError:
            continue
    raise SlotTaken()


def resident_lock(resident: User) -> None:
    # One resident's bookings are serialised on their user row (PostgreSQL); SQLite's IMMEDIATE
    # transactions already hold the database write lock. The exclusion constraint is the backstop.
    # FOR NO KEY UPDATE, not FOR UPDATE: rows inserted earlier in the transaction that point at the
    # user (the idempotency record) hold FOR KEY SHARE on it, which FOR UPDATE would wait for: two
    # requests of one resident would deadlock. NO KEY UPDATE still excludes itself.
    User.objects.select_for_update(no_key=True).filter(pk=resident.pk).values_list("pk", flat=True).first()


def overlap_exists(*, resident: User, starts_at, ends_at, exclude_pk=None) -> bool:
    overlapping = Booking.objects.filter(resident=resident, status__in=ACTIVE_BOOKING_STATUSES,
                                         starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_pk:
        overlapping = overlapping.exclude(pk=exclude_pk)
    return overlapping.exists()


def overlap_error() -> Conflict:
    return Conflict(_("您在该时间已有一个预约，同一时间只能预约一个视频办理。"), code="overlapping_booking")
