"""Booking a slot: once per Idempotency-Key, for oneself or (代办) for a resident. The database refuses
over-booking and overlaps; the loser of a race gets 409 with the next free slots."""
import datetime
import hashlib
import json

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from bookings import selectors
from bookings.conf import booking_setting
from bookings.models import (
    Booking,
    BookingEvent,
    BookingStatus,
    IdempotencyRecord,
    ServiceItem,
    SlotSeat,
    WaitlistEntry,
    WaitlistStatus,
)
from bookings.services.notify import booking_summary, notify_parties
from bookings.services.proxy import booking_resident, resident_identity_clean
from bookings.services.seats import SlotFull, SlotTaken, overlap_error, overlap_exists, resident_lock, seats_claim
from core.errors import Conflict, ServiceError
from core.logging import get_logger
from stations.models import Unit

log = get_logger(__name__)


def booking_bookable_check(*, unit: Unit, item: ServiceItem, resident: User) -> None:
    selectors.unit_bookable_check(kind=unit.kind, active=unit.active)
    if not item.active:
        raise ServiceError(_("该服务事项已停办。"), code="item_inactive")
    if not resident.is_resident:
        raise ServiceError(_("只能为参保人预约。"), code="not_a_resident")


def _offer_held_for(*, resident: User, unit: Unit, item: ServiceItem, starts_at, now) -> WaitlistEntry | None:
    """The resident's unexpired waiting-list offer of this very slot, locked, or None."""
    return (WaitlistEntry.objects.select_for_update()
            .filter(resident=resident, unit=unit, item=item, status=WaitlistStatus.OFFERED,
                    offered_starts_at=starts_at, offer_expires_at__gt=now).order_by("pk").first())


def _slot_for_booking(*, unit: Unit, item: ServiceItem, starts_at, now) -> selectors.Slot:
    slot = selectors.slot_find(unit=unit, item=item, starts_at=starts_at, now=now)
    if slot is None:
        raise ServiceError(
            _("所选时间不是可预约的时段（需至少提前%(notice)d分钟，最多预约%(days)d天内，且在办公时间内）。")
            % {"notice": booking_setting("BOOKING_MIN_NOTICE_MINUTES"),
               "days": booking_setting("BOOKING_HORIZON_DAYS")},
            code="slot_invalid",
            extra={"next_slots": [selectors.slot_as_dict(s) for s in selectors.slots_next_free(unit=unit, item=item)]},
        )
    return slot


def _booking_insert(*, unit: Unit, item: ServiceItem, resident: User, booked_by: User, slot) -> Booking:
    if connection.vendor != "postgresql":
        # PostgreSQL's exclusion constraint refuses the overlapping insert below (a concurrent one waits for the
        # other's commit), with the same message; elsewhere Python checks, inside the IMMEDIATE transaction that
        # holds the write lock.
        resident_lock(resident)
        if overlap_exists(resident=resident, starts_at=slot.starts_at, ends_at=slot.ends_at):
            raise overlap_error()
    try:
        return Booking.objects.create(unit=unit, item=item, resident=resident, booked_by=booked_by,
                                      starts_at=slot.starts_at, ends_at=slot.ends_at)
    except IntegrityError:  # the exclusion constraint (PostgreSQL); the transaction is lost anyway
        raise overlap_error() from None


def _seats_take(*, booking: Booking, slot, now) -> None:
    """The seats held for this resident by a waiting-list offer of this slot become the booking's; otherwise
    claim free ones."""
    hold = _offer_held_for(resident=booking.resident, unit=booking.unit, item=booking.item,
                           starts_at=slot.starts_at, now=now)
    if hold is None:
        seats_claim(unit=booking.unit, cells=slot.cells, booking=booking)
        return
    SlotSeat.objects.filter(hold=hold).update(hold=None, booking=booking)
    hold.status, hold.booking = WaitlistStatus.BOOKED, booking
    hold.save(update_fields=["status", "booking"])


def booking_create(*, booked_by: User, unit: Unit, item: ServiceItem, starts_at, resident: User | None = None,
                   now=None) -> Booking:
    """Book one slot. The database refuses over-booking and overlaps; the loser gets 409 with the next free slots."""
    resident = resident or booked_by
    now = now or timezone.now()
    booking_bookable_check(unit=unit, item=item, resident=resident)
    slot = _slot_for_booking(unit=unit, item=item, starts_at=starts_at, now=now)
    try:
        # No savepoint when nested (the idempotent wrapper): any failure here fails the whole request.
        with transaction.atomic(savepoint=False):
            booking = _booking_insert(unit=unit, item=item, resident=resident, booked_by=booked_by, slot=slot)
            _seats_take(booking=booking, slot=slot, now=now)
            BookingEvent.objects.create(booking=booking, from_status="", to_status=BookingStatus.BOOKED,
                                        actor=booked_by,
                                        reason=_("代办预约") if booking.is_proxy_booking else _("预约"))
            # The booking's call is made by calls, from its post_save hook on Booking (calls/apps.py).
            notify_parties(booking, event="booked", kind="booking_confirmed", title=_("预约成功"),
                           body=_("%(unit)s %(time)s 视频办理“%(item)s”，请提前上传材料并准时进入候诊。")
                           % booking_summary(booking))
    except SlotTaken:
        raise SlotFull(unit=unit, item=item, starts_at=slot.starts_at) from None
    log.info("booking.created", booking_id=booking.pk, unit_id=unit.pk, proxy=booking.is_proxy_booking)
    return booking


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def booking_create_idempotent(*, user: User, key: str, unit_id: int, item_id: int, starts_at,
                              resident_identity: dict | None = None, now=None) -> tuple[Booking, bool]:
    """booking_create behind an Idempotency-Key: returns (booking, created).

    `resident_identity` (real_name, id_number, phone) makes it a proxy booking for that resident.
    The record is inserted first, in the booking's transaction: a concurrent retry with the same
    key waits on the unique (user, key) index and then replays the committed booking. A failed
    booking rolls the record back, so the client may retry with the same key.
    """
    key = (key or "").strip()
    if not key or len(key) > 100:
        raise ServiceError(_("缺少 Idempotency-Key 请求头（1 到 100 个字符），请每次新预约生成一个新的键。"),
                           code="idempotency_key_required")
    identity = resident_identity_clean(resident_identity)
    fingerprint = request_fingerprint({"unit": unit_id, "item": item_id, "resident": identity,
                                       "starts_at": starts_at.astimezone(datetime.UTC).isoformat()})
    unit, item = selectors.unit_get(unit_id), selectors.item_get(item_id)
    try:
        return _booking_create_recorded(user=user, key=key, fingerprint=fingerprint, unit=unit, item=item,
                                        starts_at=starts_at, identity=identity, now=now)
    except SlotFull as full:
        full.add_next_slots()  # now that the failed transaction is rolled back
        raise


def _booking_create_recorded(*, user, key, fingerprint, unit, item, starts_at, identity,
                             now) -> tuple[Booking, bool]:
    try:
        with transaction.atomic():
            # No savepoint of its own: when another request holds the key, this insert waits for it and
            # then fails, which ends this transaction; the replay is read once it is over.
            record = IdempotencyRecord.objects.create(user=user, key=key, request_hash=fingerprint)
            resident = booking_resident(booked_by=user, identity=identity)
            booking = booking_create(booked_by=user, resident=resident, unit=unit, item=item, starts_at=starts_at,
                                     now=now)
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
