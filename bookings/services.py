"""Writes to the catalog and bookings: booking, cancelling, rescheduling, waiting list, materials."""
import datetime
import hashlib
import json
import os

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notification_send
from accounts.validators import normalize_id_number, normalize_mobile, validate_id_number
from bookings import selectors
from bookings.conf import booking_setting
from bookings.materials import material_inspect
from bookings.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    Category,
    IdempotencyRecord,
    Material,
    MaterialRequirement,
    ServiceItem,
    SlotSeat,
    WaitlistEntry,
    WaitlistStatus,
)
from config.dataload import LoadReport, upsert
from config.errors import Conflict, NotFound, ServiceError
from config.logging import get_logger
from stations.models import Closure, Unit

log = get_logger(__name__)


@transaction.atomic
def catalog_load(*, data: dict, department_of_category: dict[str, str]) -> LoadReport:
    report = LoadReport()
    departments = {u.code: u for u in Unit.objects.filter(kind=Unit.Kind.CITY_DEPARTMENT)}
    for category_entry in data["categories"]:
        owner = departments.get(department_of_category.get(category_entry["code"], ""))
        category = upsert(Category, lookup={"code": category_entry["code"]}, values={
            "name": category_entry["name"], "name_en": category_entry.get("name_en", ""),
            "sort": category_entry.get("sort", 0), "owner_department": owner}, report=report)
        for item_entry in category_entry["items"]:
            item = upsert(ServiceItem, lookup={"code": item_entry["code"]}, values={
                "category": category, "name": item_entry["name"], "name_en": item_entry.get("name_en", ""),
                "description": item_entry.get("description", ""),
                "description_en": item_entry.get("description_en", ""),
                "approval_level": item_entry["approval_level"], "time_limit_days": item_entry["time_limit_days"],
                "session_minutes": item_entry["session_minutes"], "fully_by_video": item_entry["fully_by_video"],
                "form_fields": item_entry.get("form_fields", [])}, report=report)
            for sort, material in enumerate(item_entry.get("materials", [])):
                upsert(MaterialRequirement, lookup={"item": item, "code": material["code"]}, values={
                    "name": material["name"], "name_en": material.get("name_en", ""),
                    "mandatory": material["mandatory"], "accepted_types": material["types"],
                    "hint": material.get("hint", ""), "hint_en": material.get("hint_en", ""), "sort": sort},
                    report=report)
    return report


# Allowed moves of the booking life cycle.
BOOKING_TRANSITIONS = {
    BookingStatus.BOOKED: {BookingStatus.CHECKED_IN, BookingStatus.CANCELLED, BookingStatus.NO_SHOW},
    BookingStatus.CHECKED_IN: {BookingStatus.IN_CALL, BookingStatus.CANCELLED, BookingStatus.NO_SHOW,
                               BookingStatus.COMPLETED},
    BookingStatus.IN_CALL: {BookingStatus.COMPLETED, BookingStatus.CHECKED_IN},
    BookingStatus.COMPLETED: set(),
    BookingStatus.CANCELLED: set(),
    BookingStatus.NO_SHOW: set(),
}


def booking_transition(*, booking: Booking, to_status: str, actor=None, reason: str = "") -> bool:
    """Move a booking to `to_status` and record who, when and why.

    A conditional update on the current status makes concurrent moves safe: returns False
    (and records nothing) when the booking was no longer in the status it was read with,
    or when it already is in `to_status`. Raises ServiceError for a move the life cycle forbids.
    A booking that stops being active gives its seats back in the same transaction.
    """
    from_status = booking.status
    if from_status == to_status:
        return False
    if to_status not in BOOKING_TRANSITIONS[BookingStatus(from_status)]:
        raise ServiceError(
            _("预约当前状态为“%(from)s”，不能变为“%(to)s”。")
            % {"from": BookingStatus(from_status).label, "to": BookingStatus(to_status).label},
            code="invalid_transition", status_code=409,
        )
    with transaction.atomic():
        moved = Booking.objects.filter(pk=booking.pk, status=from_status).update(status=to_status,
                                                                                  updated_at=timezone.now())
        if not moved:
            return False
        BookingEvent.objects.create(booking=booking, from_status=from_status, to_status=to_status, actor=actor,
                                    reason=reason[:200])
        if to_status not in ACTIVE_BOOKING_STATUSES:
            _seats_release(booking=booking)
    booking.status = to_status
    return True


# --- Seats: the capacity invariant --------------------------------------------------------

def _seats_release(**lookup) -> None:
    """Free seats (of a booking or a hold) and mark the unit's cached slot answers stale."""
    unit_ids = set(SlotSeat.objects.filter(**lookup).values_list("unit_id", flat=True).distinct())
    SlotSeat.objects.filter(**lookup).delete()
    for unit_id in unit_ids:
        _seats_touched(unit_id)


def _seats_touched(unit_id: int) -> None:
    # After the commit: until then no other reader sees the change, and an answer computed meanwhile from the
    # old state is dropped by this bump. (A bump before the commit too cost two more Redis round trips per
    # booking and protected nothing: answers computed between it and the commit were just as old.)
    transaction.on_commit(lambda: selectors.seats_changed(unit_id))


class _SlotFull(Exception):
    """Internal: a cell had no free seat; turned into a 409 with the next free slots outside the transaction."""


def _seats_claim(*, unit: Unit, cells, booking: Booking | None = None, hold: WaitlistEntry | None = None) -> None:
    """Claim one seat (1..capacity) in every cell, or raise _SlotFull.

    The unique (unit, starts_at, seat) constraint decides races: a concurrent claim of the same
    seat waits for the other transaction and then fails. On PostgreSQL one statement per attempt
    picks the lowest free seat of every cell and inserts it with ON CONFLICT DO NOTHING (no savepoint);
    elsewhere (SQLite, where IMMEDIATE transactions already serialise writers) one read and one insert.
    """
    if connection.vendor == "postgresql":
        _seats_claim_statement(unit=unit, cells=cells, booking=booking, hold=hold)
    else:
        _seats_claim_orm(unit=unit, cells=cells, booking=booking, hold=hold)
    _seats_touched(unit.pk)


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
                raise _SlotFull()
            remaining = [cell for cell in remaining if cell not in set(claimed)]
            if not remaining:
                return
    raise _SlotFull()


def _seats_claim_orm(*, unit: Unit, cells, booking, hold) -> None:
    capacity = unit.video_lines
    taken: dict = {}
    for cell, seat in SlotSeat.objects.filter(unit=unit, starts_at__in=cells).values_list("starts_at", "seat"):
        taken.setdefault(cell, set()).add(seat)
    first_free = {}
    for cell in cells:
        free = [n for n in range(1, capacity + 1) if n not in taken.get(cell, ())]
        if not free:
            raise _SlotFull()
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
            raise _SlotFull()
        try:
            with transaction.atomic():
                SlotSeat.objects.create(unit=unit, starts_at=cell, seat=free[0], booking=booking, hold=hold)
            return
        except IntegrityError:
            continue
    raise _SlotFull()


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
            self.extra["next_slots"] = [slot_as_dict(s) for s in selectors.slots_next_free(
                unit=self.unit, item=self.item, after=self.starts_at)]


def _slot_full_error(*, unit: Unit, item: ServiceItem, starts_at) -> SlotFull:
    return SlotFull(unit=unit, item=item, starts_at=starts_at)


def slot_as_dict(slot: selectors.Slot) -> dict:
    # Slots are generated in the local zone already: isoformat() carries the +08:00 offset.
    return {"starts_at": slot.starts_at.isoformat(), "ends_at": slot.ends_at.isoformat(),
            "capacity": slot.capacity, "remaining": slot.remaining}


def _lock_resident(resident: User) -> None:
    # One resident's bookings are serialised on their user row (PostgreSQL); SQLite's IMMEDIATE
    # transactions already hold the database write lock. The exclusion constraint is the backstop.
    # FOR NO KEY UPDATE, not FOR UPDATE: rows inserted earlier in the transaction that point at the
    # user (the idempotency record) hold FOR KEY SHARE on it, which FOR UPDATE would wait for: two
    # requests of one resident would deadlock. NO KEY UPDATE still excludes itself.
    User.objects.select_for_update(no_key=True).filter(pk=resident.pk).values_list("pk", flat=True).first()


def _overlap_exists(*, resident: User, starts_at, ends_at, exclude_pk=None) -> bool:
    overlapping = Booking.objects.filter(resident=resident, status__in=ACTIVE_BOOKING_STATUSES,
                                         starts_at__lt=ends_at, ends_at__gt=starts_at)
    if exclude_pk:
        overlapping = overlapping.exclude(pk=exclude_pk)
    return overlapping.exists()


def _overlap_error() -> Conflict:
    return Conflict(_("您在该时间已有一个预约，同一时间只能预约一个视频办理。"), code="overlapping_booking")


# --- Notifications -------------------------------------------------------------------------

def _local(dt) -> str:
    return dt.astimezone(selectors.local_zone()).strftime("%Y-%m-%d %H:%M")


def _notify_parties(booking: Booking, *, event: str, kind: str, title: str, body: str) -> None:
    """The resident and, for a proxy booking, the proxy; `event` makes the key unique per occurrence."""
    for user in {booking.resident_id: booking.resident, booking.booked_by_id: booking.booked_by}.values():
        notification_send(user=user, event_key=f"booking:{booking.pk}:{event}:{user.pk}", kind=kind, title=title,
                          body=body, link=f"/me/bookings/{booking.pk}/", sms=True)


def _booking_summary(booking: Booking) -> dict:
    return {"unit": booking.unit.name, "item": booking.item.name, "time": _local(booking.starts_at)}


# --- Proxy (代办) ----------------------------------------------------------------------------

def resident_for_proxy(*, real_name: str, id_number: str, phone: str | None = None) -> User:
    """Find the resident by ID number (checking the name), or create their account (a phone is then needed)."""
    real_name = (real_name or "").strip()
    if not real_name:
        raise ServiceError(_("请填写参保人姓名。"), code="name_required")
    id_number = normalize_id_number(id_number)
    try:
        validate_id_number(id_number)
    except DjangoValidationError as exc:
        raise ServiceError(exc.messages[0], code="id_number_invalid") from None
    resident = User.objects.filter(id_number=id_number).first()
    if resident is not None:
        if not resident.is_resident:
            raise ServiceError(_("该身份证号对应的账户不是参保人账户。"), code="not_a_resident")
        if resident.real_name and resident.real_name != real_name:
            raise ServiceError(_("姓名与身份证号不一致，请核对后重新输入。"), code="identity_mismatch")
        if not resident.real_name:
            User.objects.filter(pk=resident.pk).update(real_name=real_name)
            resident.real_name = real_name
        return resident
    if not phone:
        raise ServiceError(_("该参保人尚未注册，请填写参保人本人的手机号以便接收通知。"), code="phone_required")
    try:
        phone = normalize_mobile(phone)
    except DjangoValidationError as exc:
        raise ServiceError(exc.messages[0], code="phone_invalid") from None
    if User.objects.filter(phone=phone).exists():
        raise ServiceError(_("该手机号已被其他账户使用，请让参保人登录后在“我的资料”中填写身份证号，或更换手机号。"),
                           code="phone_in_use")
    try:
        with transaction.atomic():
            return User.objects.create(username=f"r{phone}", role=User.Role.RESIDENT, phone=phone,
                                       real_name=real_name, id_number=id_number)
    except IntegrityError:
        resident = User.objects.filter(id_number=id_number).first()
        if resident is None:
            raise Conflict(_("该手机号已被其他账户使用。"), code="phone_in_use") from None
        return resident


# --- Booking ------------------------------------------------------------------------------

def _check_bookable(*, unit: Unit, item: ServiceItem, resident: User) -> None:
    if unit.kind not in selectors.BOOKABLE_UNIT_KINDS or not unit.active:
        raise ServiceError(_("该机构不受理视频预约，请选择乡镇服务站或县区工作站。"), code="unit_not_bookable")
    if not item.active:
        raise ServiceError(_("该服务事项已停办。"), code="item_inactive")
    if not resident.is_resident:
        raise ServiceError(_("只能为参保人预约。"), code="not_a_resident")


# Every booking asks whether the resident is taking up a waiting-list offer of this very slot (rarely so). Plain
# SQL: the ORM spent ~0.6 ms of CPU building this read, more than the statement's own round trip.
_OFFER_HELD_SQL = """
SELECT id FROM {table}
WHERE resident_id = %s AND unit_id = %s AND item_id = %s AND status = %s AND offered_starts_at = %s
  AND offer_expires_at > %s
ORDER BY id LIMIT 1
"""


def _offer_held_for(*, resident: User, unit: Unit, item: ServiceItem, starts_at, now) -> WaitlistEntry | None:
    """The resident's unexpired offer of this slot, locked (PostgreSQL), or None."""
    sql = _OFFER_HELD_SQL.format(table=connection.ops.quote_name(WaitlistEntry._meta.db_table))
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(sql, [resident.pk, unit.pk, item.pk, WaitlistStatus.OFFERED.value, adapt(starts_at),
                             adapt(now)])
        row = cursor.fetchone()
    return None if row is None else WaitlistEntry.objects.get(pk=row[0])


def booking_create(*, booked_by: User, unit: Unit, item: ServiceItem, starts_at, resident: User | None = None,
                   now=None, day_basis: selectors.SlotBasis | None = None) -> Booking:
    """Book one slot. The database refuses over-booking and overlaps; the loser gets 409 with the next free slots.

    `day_basis`: the day's hours and closure as selectors.booking_target read them with the unit and item.
    """
    resident = resident or booked_by
    now = now or timezone.now()
    _check_bookable(unit=unit, item=item, resident=resident)
    slot = selectors.slot_find(unit=unit, item=item, starts_at=starts_at, now=now, day_basis=day_basis)
    if slot is None:
        raise ServiceError(
            _("所选时间不是可预约的时段（需至少提前%(notice)d分钟，最多预约%(days)d天内，且在办公时间内）。")
            % {"notice": booking_setting("BOOKING_MIN_NOTICE_MINUTES"),
               "days": booking_setting("BOOKING_HORIZON_DAYS")},
            code="slot_invalid",
            extra={"next_slots": [slot_as_dict(s) for s in selectors.slots_next_free(unit=unit, item=item)]},
        )
    try:
        # No savepoint when nested (the idempotent wrapper): any failure here fails the whole request.
        with transaction.atomic(savepoint=False):
            if connection.vendor != "postgresql":
                # PostgreSQL's exclusion constraint refuses the overlapping insert below (a concurrent one
                # waits for the other's commit), with the same message; elsewhere Python checks, inside
                # the IMMEDIATE transaction that holds the write lock.
                _lock_resident(resident)
                if _overlap_exists(resident=resident, starts_at=slot.starts_at, ends_at=slot.ends_at):
                    raise _overlap_error()
            try:
                booking = Booking.objects.create(unit=unit, item=item, resident=resident, booked_by=booked_by,
                                                 starts_at=slot.starts_at, ends_at=slot.ends_at)
            except IntegrityError:  # the exclusion constraint (PostgreSQL); the transaction is lost anyway
                raise _overlap_error() from None
            hold = _offer_held_for(resident=resident, unit=unit, item=item, starts_at=slot.starts_at, now=now)
            if hold is not None:
                # The seats held for this resident become the booking's.
                SlotSeat.objects.filter(hold=hold).update(hold=None, booking=booking)
                hold.status, hold.booking = WaitlistStatus.BOOKED, booking
                hold.save(update_fields=["status", "booking"])
            else:
                _seats_claim(unit=unit, cells=slot.cells, booking=booking)
            event = BookingEvent.objects.create(booking=booking, from_status="", to_status=BookingStatus.BOOKED,
                                                actor=booked_by,
                                                reason=_("代办预约") if booked_by != resident else _("预约"))
            # A new booking has this one event: callers (the API's answer) read it without a query.
            booking._prefetched_objects_cache = {"events": [event]}
            from calls.services import booking_call_create  # calls imports this module: import late

            booking_call_create(booking=booking, new_booking=True)
            _notify_parties(booking, event="booked", kind="booking_confirmed", title=_("预约成功"),
                            body=_("%(unit)s %(time)s 视频办理“%(item)s”，请提前上传材料并准时进入候诊。")
                            % _booking_summary(booking))
    except _SlotFull:
        raise _slot_full_error(unit=unit, item=item, starts_at=slot.starts_at) from None
    log.info("booking.created", booking_id=booking.pk, unit_id=unit.pk, proxy=booking.is_proxy_booking)
    return booking


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def booking_create_idempotent(*, user: User, key: str, payload: dict, unit: Unit, item: ServiceItem, starts_at,
                              resident_identity: dict | None = None, now=None,
                              day_basis: selectors.SlotBasis | None = None) -> tuple[Booking, bool]:
    """booking_create behind an Idempotency-Key: returns (booking, created).

    `payload` is the request as the client meant it (the fingerprint); `resident_identity`
    (real_name, id_number, phone) makes it a proxy booking for that resident.

    The record is inserted first, in the booking's transaction: a concurrent retry with the same
    key waits on the unique (user, key) index and then replays the committed booking. A failed
    booking rolls the record back, so the client may retry with the same key.
    """
    key = (key or "").strip()
    if not key or len(key) > 100:
        raise ServiceError(_("缺少 Idempotency-Key 请求头（1 到 100 个字符），请每次新预约生成一个新的键。"),
                           code="idempotency_key_required")
    fingerprint = request_fingerprint(payload)
    try:
        return _booking_create_recorded(user=user, key=key, fingerprint=fingerprint, unit=unit, item=item,
                                        starts_at=starts_at, resident_identity=resident_identity, now=now,
                                        day_basis=day_basis)
    except SlotFull as full:
        full.add_next_slots()  # now that the failed transaction is rolled back
        raise


def _booking_create_recorded(*, user, key, fingerprint, unit, item, starts_at, resident_identity, now,
                             day_basis) -> tuple[Booking, bool]:
    try:
        with transaction.atomic():
            # No savepoint of its own: when another request holds the key, this insert waits for it and
            # then fails, which ends this transaction; the replay is read once it is over.
            record = IdempotencyRecord.objects.create(user=user, key=key, request_hash=fingerprint)
            resident = resident_for_proxy(**resident_identity) if resident_identity else user
            booking = booking_create(booked_by=user, resident=resident, unit=unit, item=item, starts_at=starts_at,
                                     now=now, day_basis=day_basis)
            record.booking = booking
            record.save(update_fields=["booking"])
        return booking, True
    except IntegrityError:
        record = IdempotencyRecord.objects.select_related("booking").filter(user=user, key=key).first()
        if record is None:
            raise
    if record.request_hash != fingerprint:
        raise ServiceError(_("该 Idempotency-Key 已用于另一个不同内容的预约请求，请换一个新的键。"),
                           code="idempotency_key_reused", status_code=422)
    if record.booking is None:
        raise Conflict(_("相同的请求正在处理中，请稍后再试。"), code="request_in_progress")
    return record.booking, False


def _party_may_change(*, booking: Booking, now) -> None:
    cutoff = booking_setting("BOOKING_CHANGE_CUTOFF_MINUTES")
    if booking.starts_at - now < datetime.timedelta(minutes=cutoff):
        raise ServiceError(
            _("距开始已不足%(minutes)d分钟，不能再取消或改约；如有需要请联系服务站。") % {"minutes": cutoff},
            code="change_too_late", status_code=409)


def _actor_role(*, booking: Booking, actor: User) -> str:
    if actor.pk in (booking.resident_id, booking.booked_by_id):
        return "party"
    if selectors.is_staff_of_unit(user=actor, unit_id=booking.unit_id):
        return "staff"
    raise NotFound(_("找不到该预约。"), code="booking_not_found")


def booking_cancel(*, booking: Booking, actor: User, reason: str = "", now=None) -> Booking:
    """Cancel: the resident or proxy until the cut-off, the unit's staff at any time with a reason."""
    now = now or timezone.now()
    role = _actor_role(booking=booking, actor=actor)
    reason = (reason or "").strip()
    if role == "staff" and not reason:
        raise ServiceError(_("工作人员取消预约须填写原因。"), code="reason_required")
    if booking.status != BookingStatus.BOOKED and role == "party":
        raise ServiceError(_("预约当前状态为“%(status)s”，不能取消。") % {"status": booking.get_status_display()},
                           code="invalid_transition", status_code=409)
    if role == "party":
        _party_may_change(booking=booking, now=now)
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "unit", "item", "resident", "booked_by").get(
            pk=booking.pk)
        if not booking_transition(booking=booking, to_status=BookingStatus.CANCELLED, actor=actor,
                                  reason=reason or _("参保人取消")):
            raise Conflict(_("预约状态已变化，请刷新后重试。"), code="stale_booking")
        body = _("%(unit)s %(time)s 的“%(item)s”预约已取消。") % _booking_summary(booking)
        if role == "staff":
            body += _("原因：%(reason)s") % {"reason": reason}
        _notify_parties(booking, event="cancelled", kind="booking_cancelled", title=_("预约已取消"), body=body)
        waitlist_offer_slot(unit=booking.unit, item=booking.item, starts_at=booking.starts_at, now=now)
    log.info("booking.cancelled", booking_id=booking.pk, by=role)
    return booking


def booking_reschedule(*, booking: Booking, actor: User, starts_at, now=None) -> Booking:
    """Move a booked session to another free slot of the same unit and item (same cut-off as cancelling)."""
    now = now or timezone.now()
    role = _actor_role(booking=booking, actor=actor)
    if booking.status != BookingStatus.BOOKED:
        raise ServiceError(_("预约当前状态为“%(status)s”，不能改约。") % {"status": booking.get_status_display()},
                           code="invalid_transition", status_code=409)
    if role == "party":
        _party_may_change(booking=booking, now=now)
    unit, item = booking.unit, booking.item
    slot = selectors.slot_find(unit=unit, item=item, starts_at=starts_at, now=now)
    if slot is None:
        raise ServiceError(_("所选时间不是可预约的时段。"), code="slot_invalid",
                           extra={"next_slots": [slot_as_dict(s) for s in
                                                 selectors.slots_next_free(unit=unit, item=item)]})
    if slot.starts_at == booking.starts_at:
        return booking
    old_starts_at = booking.starts_at
    try:
        with transaction.atomic():
            _lock_resident(booking.resident)
            booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "unit", "item", "resident", "booked_by").get(
                pk=booking.pk)
            if booking.status != BookingStatus.BOOKED or booking.starts_at != old_starts_at:
                raise Conflict(_("预约状态已变化，请刷新后重试。"), code="stale_booking")
            if _overlap_exists(resident=booking.resident, starts_at=slot.starts_at, ends_at=slot.ends_at,
                               exclude_pk=booking.pk):
                raise _overlap_error()
            _seats_release(booking=booking)
            _seats_claim(unit=unit, cells=slot.cells, booking=booking)
            try:
                with transaction.atomic():
                    Booking.objects.filter(pk=booking.pk).update(starts_at=slot.starts_at, ends_at=slot.ends_at,
                                                                 reminded_at=None, updated_at=now)
            except IntegrityError:
                raise _overlap_error() from None
            booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
            BookingEvent.objects.create(booking=booking, from_status=BookingStatus.BOOKED,
                                        to_status=BookingStatus.BOOKED, actor=actor,
                                        reason=(_("改约：%(old)s → %(new)s")
                                                % {"old": _local(old_starts_at), "new": _local(slot.starts_at)}))
            _notify_parties(booking, event=f"rescheduled:{int(slot.starts_at.timestamp())}", kind="booking_changed",
                            title=_("预约时间已变更"),
                            body=_("%(unit)s 的“%(item)s”已改约到 %(time)s。") % _booking_summary(booking))
            waitlist_offer_slot(unit=unit, item=item, starts_at=old_starts_at, now=now)
    except _SlotFull:
        raise _slot_full_error(unit=unit, item=item, starts_at=slot.starts_at) from None
    return booking


def unit_closure_create(unit: Unit, date: datetime.date, reason: str, actor: User | None = None) -> Closure:
    """Close a unit for a day: record the closure, cancel and notify every active booking of that day."""
    zone = selectors.local_zone()
    day_start = datetime.datetime.combine(date, datetime.time(0, 0), tzinfo=zone)
    transaction.on_commit(selectors.slot_basis_invalidate)
    with transaction.atomic():
        closure, created = Closure.objects.get_or_create(unit=unit, date=date, defaults={"reason": reason[:120]})
        affected = (Booking.objects.select_for_update()
                    .filter(unit=unit, status__in=[BookingStatus.BOOKED, BookingStatus.CHECKED_IN],
                            starts_at__gte=day_start, starts_at__lt=day_start + datetime.timedelta(days=1))
                    .select_related("unit", "item", "resident", "booked_by").order_by("starts_at", "pk"))
        for booking in affected:
            if booking_transition(booking=booking, to_status=BookingStatus.CANCELLED, actor=actor,
                                  reason=_("闭站：%(reason)s") % {"reason": reason}):
                _notify_parties(booking, event="cancelled", kind="booking_cancelled",
                                title=_("服务站临时闭站，预约已取消"),
                                body=_("%(unit)s %(time)s 的“%(item)s”预约因闭站取消（%(reason)s），请重新预约。")
                                % {**_booking_summary(booking), "reason": reason})
        for entry in (WaitlistEntry.objects.select_for_update()
                      .filter(unit=unit, date=date, status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED])):
            _seats_release(hold=entry)
            entry.status = WaitlistStatus.EXPIRED
            entry.save(update_fields=["status"])
    log.info("unit.closed", unit_id=unit.pk, date=str(date), created=created)
    return closure


def bookings_mark_no_show(*, now=None) -> int:
    """Beat: booked sessions whose start plus the grace period has passed without a check-in."""
    now = now or timezone.now()
    grace = datetime.timedelta(minutes=booking_setting("BOOKING_NO_SHOW_GRACE_MINUTES"))
    marked = 0
    for booking in Booking.objects.filter(status=BookingStatus.BOOKED, starts_at__lt=now - grace).order_by("pk"):
        if booking_transition(booking=booking, to_status=BookingStatus.NO_SHOW, actor=None,
                              reason=_("超过宽限期未签到")):
            marked += 1
    return marked


def booking_reminders_send(*, now=None) -> int:
    """Beat: remind of sessions starting within the reminder window; each booking is claimed once."""
    now = now or timezone.now()
    window = now + datetime.timedelta(minutes=booking_setting("BOOKING_REMINDER_MINUTES"))
    sent = 0
    due = (Booking.objects.filter(status__in=[BookingStatus.BOOKED, BookingStatus.CHECKED_IN],
                                  reminded_at__isnull=True, starts_at__gt=now, starts_at__lte=window)
           .select_related("unit", "item", "resident", "booked_by"))
    for booking in due:
        with transaction.atomic():
            if not Booking.objects.filter(pk=booking.pk, reminded_at__isnull=True).update(reminded_at=now):
                continue  # another worker took it
            _notify_parties(booking, event=f"reminder:{int(booking.starts_at.timestamp())}", kind="booking_reminder",
                            title=_("视频办理即将开始"),
                            body=_("%(unit)s %(time)s 的“%(item)s”即将开始，请打开预约进入候诊。")
                            % _booking_summary(booking))
        sent += 1
    return sent


# --- Waiting list -------------------------------------------------------------------------

def waitlist_join(*, resident: User, unit: Unit, item: ServiceItem, date: datetime.date, now=None) -> WaitlistEntry:
    """Join the waiting list of a full day."""
    now = now or timezone.now()
    _check_bookable(unit=unit, item=item, resident=resident)
    slots = selectors.slot_list(unit=unit, item=item, date_from=date, date_to=date, now=now, free_only=False)
    if not slots:
        raise ServiceError(_("当天不开放预约或已超出可预约范围。"), code="day_not_bookable")
    if any(s.remaining > 0 for s in slots):
        raise Conflict(_("当天仍有可预约的时段，请直接预约。"), code="day_not_full")
    try:
        with transaction.atomic():
            entry = WaitlistEntry.objects.create(unit=unit, item=item, date=date, resident=resident)
    except IntegrityError:
        raise Conflict(_("您已在当天的候补名单中。"), code="already_waiting") from None
    return entry


def waitlist_leave(*, entry: WaitlistEntry, now=None) -> WaitlistEntry:
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status not in (WaitlistStatus.WAITING, WaitlistStatus.OFFERED):
            return entry
        held_starts_at = entry.offered_starts_at if entry.status == WaitlistStatus.OFFERED else None
        _seats_release(hold=entry)
        entry.status = WaitlistStatus.LEFT
        entry.save(update_fields=["status"])
        if held_starts_at:
            waitlist_offer_slot(unit=entry.unit, item=entry.item, starts_at=held_starts_at, now=now)
    return entry


def waitlist_offer_slot(*, unit: Unit, item: ServiceItem, starts_at, now=None) -> WaitlistEntry | None:
    """Offer a freed slot to the first in line for that unit, item and day, holding its seats for a while.

    Call inside the transaction that freed the seats. Returns the entry offered, or None.
    """
    now = now or timezone.now()
    slot = selectors.slot_find(unit=unit, item=item, starts_at=starts_at, now=now)
    if slot is None:
        return None
    day = slot.starts_at.astimezone(selectors.local_zone()).date()
    waiting = (WaitlistEntry.objects.select_for_update(of=("self",)).select_related("resident", "unit", "item")
               .filter(unit=unit, item=item, date=day, status=WaitlistStatus.WAITING).order_by("created_at", "pk"))
    for entry in waiting:
        if _overlap_exists(resident=entry.resident, starts_at=slot.starts_at, ends_at=slot.ends_at):
            continue
        try:
            with transaction.atomic():
                _seats_claim(unit=unit, cells=slot.cells, hold=entry)
        except _SlotFull:
            return None
        hold_minutes = booking_setting("WAITLIST_HOLD_MINUTES")
        entry.status = WaitlistStatus.OFFERED
        entry.offered_starts_at = slot.starts_at
        entry.offer_expires_at = now + datetime.timedelta(minutes=hold_minutes)
        entry.save(update_fields=["status", "offered_starts_at", "offer_expires_at"])
        notification_send(
            user=entry.resident, event_key=f"waitlist:{entry.pk}:offer:{int(slot.starts_at.timestamp())}",
            kind="waitlist_offer", title=_("候补时段已为您保留"),
            body=_("%(unit)s %(time)s 的“%(item)s”有空位，已为您保留%(minutes)d分钟，请尽快确认预约。")
            % {"unit": unit.name, "time": _local(slot.starts_at), "item": item.name, "minutes": hold_minutes},
            link=f"/book/{item.pk}/", sms=True)
        log.info("waitlist.offered", entry_id=entry.pk, unit_id=unit.pk)
        return entry
    return None


def waitlist_offers_expire(*, now=None) -> int:
    """Beat: end offers nobody took in time and pass the slot to the next in line; close past days' entries."""
    now = now or timezone.now()
    expired = 0
    for entry_id in (WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED, offer_expires_at__lte=now)
                     .order_by("offer_expires_at").values_list("pk", flat=True)):
        with transaction.atomic():
            entry = (WaitlistEntry.objects.select_for_update(of=("self",)).select_related("unit", "item")
                     .filter(pk=entry_id, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now).first())
            if entry is None:
                continue
            _seats_release(hold=entry)
            entry.status = WaitlistStatus.EXPIRED
            entry.save(update_fields=["status"])
            waitlist_offer_slot(unit=entry.unit, item=entry.item, starts_at=entry.offered_starts_at, now=now)
        expired += 1
    today = now.astimezone(selectors.local_zone()).date()
    WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, date__lt=today).update(status=WaitlistStatus.EXPIRED)
    return expired


def idempotency_records_purge(*, older_than_days: int = 2, now=None) -> int:
    now = now or timezone.now()
    deleted, _rows = IdempotencyRecord.objects.filter(
        created_at__lt=now - datetime.timedelta(days=older_than_days)).delete()
    return deleted


# --- Materials ----------------------------------------------------------------------------

def material_add(*, booking: Booking, requirement: MaterialRequirement | str | None, uploaded_file,
                 uploaded_by: User, source: str = Material.Source.UPLOAD) -> Material:
    """Check, clean and store one document for a booking (uploads and documents captured in a call).

    The type is decided from the content; images are re-encoded without metadata (HEIC becomes
    JPEG); PDFs with scripts or launch actions are refused; the SHA-256 of the stored bytes is kept.
    """
    if isinstance(requirement, str):
        code = requirement
        requirement = MaterialRequirement.objects.filter(item_id=booking.item_id, code=code).first()
        if requirement is None:
            raise ServiceError(_("该事项的材料清单中没有“%(code)s”。") % {"code": code}, code="requirement_unknown")
    elif requirement is not None and requirement.item_id != booking.item_id:
        raise ServiceError(_("该材料不属于本预约的服务事项。"), code="requirement_unknown")
    max_bytes = booking_setting("MATERIAL_MAX_BYTES")
    size = getattr(uploaded_file, "size", None)
    if size is None or size > max_bytes:
        raise ServiceError(_("文件过大：每个文件不能超过 %(mb)d MB。") % {"mb": max_bytes // (1024 * 1024)},
                           code="file_too_large", status_code=413)
    if size == 0:
        raise ServiceError(_("文件为空。"), code="file_empty")
    if booking.status not in ACTIVE_BOOKING_STATUSES:
        raise ServiceError(_("预约已结束或已取消，不能再上传材料。"), code="booking_closed", status_code=409)
    uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ServiceError(_("文件过大：每个文件不能超过 %(mb)d MB。") % {"mb": max_bytes // (1024 * 1024)},
                           code="file_too_large", status_code=413)
    clean = material_inspect(data=data, accepted_types=requirement.accepted_types if requirement else None)
    original_name = os.path.basename(getattr(uploaded_file, "name", "") or "")[:120]
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk", flat=True).first()
        limit = booking_setting("MATERIAL_MAX_PER_BOOKING")
        if Material.objects.filter(booking=booking).count() >= limit:
            raise Conflict(_("每个预约最多上传 %(n)d 个文件。") % {"n": limit}, code="too_many_materials")
        material = Material(booking=booking, requirement=requirement, file_type=clean.file_type,
                            original_name=original_name, size=len(clean.content),
                            sha256=hashlib.sha256(clean.content).hexdigest(), source=source, uploaded_by=uploaded_by)
        material.file.save(f"upload.{clean.file_type}", ContentFile(clean.content), save=False)
        stored_name = material.file.name
        try:
            material.save()
        except Exception:
            default_storage.delete(stored_name)
            raise
    log.info("material.added", booking_id=booking.pk, material_id=material.pk, file_type=clean.file_type,
             source=source)
    return material
