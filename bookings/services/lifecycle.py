"""A booking's life cycle: status moves, cancelling and rescheduling (a party until the cut-off, the unit's
staff at any time), a unit's closure for a day, and the beat sweeps (no-shows, reminders, old keys)."""
import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from bookings import selectors
from bookings.conf import booking_setting
from bookings.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingEvent,
    BookingStatus,
    IdempotencyRecord,
    WaitlistEntry,
    WaitlistStatus,
)
from bookings.services.notify import booking_summary, local_time, notify_parties
from bookings.services.seats import (
    SlotFull,
    SlotTaken,
    overlap_error,
    overlap_exists,
    resident_lock,
    seats_claim,
    seats_release,
)
from bookings.services.waitlist import waitlist_offer_slot
from core.errors import Conflict, NotFound, ServiceError
from core.logging import get_logger
from stations.models import Closure, Unit

log = get_logger(__name__)


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
            seats_release(booking=booking)
    booking.status = to_status
    return True


def _actor_role(*, booking: Booking, actor: User) -> str:
    if selectors.is_booking_party(booking=booking, user=actor):
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
        selectors.booking_change_check(booking=booking, now=now)
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "unit", "item", "resident", "booked_by").get(pk=booking.pk)
        if not booking_transition(booking=booking, to_status=BookingStatus.CANCELLED, actor=actor,
                                  reason=reason or _("参保人取消")):
            raise Conflict(_("预约状态已变化，请刷新后重试。"), code="stale_booking")
        body = _("%(unit)s %(time)s 的“%(item)s”预约已取消。") % booking_summary(booking)
        if role == "staff":
            body += _("原因：%(reason)s") % {"reason": reason}
        notify_parties(booking, event="cancelled", kind="booking_cancelled", title=_("预约已取消"), body=body)
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
        selectors.booking_change_check(booking=booking, now=now)
    unit, item = booking.unit, booking.item
    slot = selectors.slot_find(unit=unit, item=item, starts_at=starts_at, now=now)
    if slot is None:
        raise ServiceError(_("所选时间不是可预约的时段。"), code="slot_invalid",
                           extra={"next_slots": [selectors.slot_as_dict(s) for s in
                                                 selectors.slots_next_free(unit=unit, item=item)]})
    if slot.starts_at == booking.starts_at:
        return booking
    try:
        with transaction.atomic():
            booking = _booking_move(booking=booking, actor=actor, slot=slot, now=now)
    except SlotTaken:
        raise SlotFull(unit=unit, item=item, starts_at=slot.starts_at) from None
    return booking


def _booking_move(*, booking: Booking, actor: User, slot, now) -> Booking:
    """Inside the transaction: the booking's seats and times move to `slot`, the old start goes to the waiting list."""
    old_starts_at = booking.starts_at
    resident_lock(booking.resident)
    booking = Booking.objects.select_for_update(of=("self",)).select_related(
        "unit", "item", "resident", "booked_by").get(pk=booking.pk)
    if booking.status != BookingStatus.BOOKED or booking.starts_at != old_starts_at:
        raise Conflict(_("预约状态已变化，请刷新后重试。"), code="stale_booking")
    if overlap_exists(resident=booking.resident, starts_at=slot.starts_at, ends_at=slot.ends_at,
                      exclude_pk=booking.pk):
        raise overlap_error()
    seats_release(booking=booking)
    seats_claim(unit=booking.unit, cells=slot.cells, booking=booking)
    try:
        with transaction.atomic():
            Booking.objects.filter(pk=booking.pk).update(starts_at=slot.starts_at, ends_at=slot.ends_at,
                                                         reminded_at=None, updated_at=now)
    except IntegrityError:
        raise overlap_error() from None
    booking.starts_at, booking.ends_at = slot.starts_at, slot.ends_at
    BookingEvent.objects.create(booking=booking, from_status=BookingStatus.BOOKED, to_status=BookingStatus.BOOKED,
                                actor=actor, reason=_("改约：%(old)s → %(new)s")
                                % {"old": local_time(old_starts_at), "new": local_time(slot.starts_at)})
    notify_parties(booking, event=f"rescheduled:{int(slot.starts_at.timestamp())}", kind="booking_changed",
                   title=_("预约时间已变更"),
                   body=_("%(unit)s 的“%(item)s”已改约到 %(time)s。") % booking_summary(booking))
    waitlist_offer_slot(unit=booking.unit, item=booking.item, starts_at=old_starts_at, now=now)
    return booking


def unit_closure_create(unit: Unit, date: datetime.date, reason: str, actor: User | None = None) -> Closure:
    """Close a unit for a day: record the closure, cancel and notify every active booking of that day."""
    zone = selectors.local_zone()
    day_start = datetime.datetime.combine(date, datetime.time(0, 0), tzinfo=zone)
    transaction.on_commit(selectors.slot_basis_invalidate)
    with transaction.atomic():
        closure, created = Closure.objects.get_or_create(unit=unit, date=date, defaults={"reason": reason[:120]})
        affected = (Booking.objects.select_for_update(of=("self",))
                    .filter(unit=unit, status__in=[BookingStatus.BOOKED, BookingStatus.CHECKED_IN],
                            starts_at__gte=day_start, starts_at__lt=day_start + datetime.timedelta(days=1))
                    .select_related("unit", "item", "resident", "booked_by").order_by("starts_at", "pk"))
        for booking in affected:
            if booking_transition(booking=booking, to_status=BookingStatus.CANCELLED, actor=actor,
                                  reason=_("闭站：%(reason)s") % {"reason": reason}):
                notify_parties(booking, event="cancelled", kind="booking_cancelled",
                               title=_("服务站临时闭站，预约已取消"),
                               body=_("%(unit)s %(time)s 的“%(item)s”预约因闭站取消（%(reason)s），请重新预约。")
                               % {**booking_summary(booking), "reason": reason})
        for entry in (WaitlistEntry.objects.select_for_update()
                      .filter(unit=unit, date=date, status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED])):
            seats_release(hold=entry)
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
            notify_parties(booking, event=f"reminder:{int(booking.starts_at.timestamp())}", kind="booking_reminder",
                           title=_("视频办理即将开始"),
                           body=_("%(unit)s %(time)s 的“%(item)s”即将开始，请打开预约进入候诊。")
                           % booking_summary(booking))
        sent += 1
    return sent


def idempotency_records_purge(*, older_than_days: int = 2, now=None) -> int:
    now = now or timezone.now()
    deleted, _rows = IdempotencyRecord.objects.filter(
        created_at__lt=now - datetime.timedelta(days=older_than_days)).delete()
    return deleted
