"""The waiting list of a full day: join, leave, and a freed slot offered (its seats held) to the first in line."""
import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notification_send
from bookings import selectors
from bookings.conf import booking_setting
from bookings.models import ServiceItem, WaitlistEntry, WaitlistStatus
from bookings.services.create import booking_bookable_check
from bookings.services.notify import local_time
from bookings.services.seats import SlotTaken, overlap_exists, seats_claim, seats_release
from core.errors import Conflict, ServiceError
from core.logging import get_logger
from stations.models import Unit

log = get_logger(__name__)


def waitlist_join(*, resident: User, unit: Unit, item: ServiceItem, date: datetime.date, now=None) -> WaitlistEntry:
    """Join the waiting list of a full day."""
    now = now or timezone.now()
    booking_bookable_check(unit=unit, item=item, resident=resident)
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
        seats_release(hold=entry)
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
        if overlap_exists(resident=entry.resident, starts_at=slot.starts_at, ends_at=slot.ends_at):
            continue
        try:
            with transaction.atomic():
                seats_claim(unit=unit, cells=slot.cells, hold=entry)
        except SlotTaken:
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
            % {"unit": unit.name, "time": local_time(slot.starts_at), "item": item.name, "minutes": hold_minutes},
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
            seats_release(hold=entry)
            entry.status = WaitlistStatus.EXPIRED
            entry.save(update_fields=["status"])
            waitlist_offer_slot(unit=entry.unit, item=entry.item, starts_at=entry.offered_starts_at, now=now)
        expired += 1
    today = now.astimezone(selectors.local_zone()).date()
    WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING, date__lt=today).update(status=WaitlistStatus.EXPIRED)
    return expired
