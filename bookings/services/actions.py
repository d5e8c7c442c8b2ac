"""The booking endpoints' one call each: find the booking the person may see (NotFound otherwise, so others'
bookings do not exist for them), act through the service that holds the rule, and return what the answer shows."""
import datetime

from accounts.models import User
from bookings import selectors
from bookings.models import Booking, Material, WaitlistEntry
from bookings.services.create import booking_create_idempotent
from bookings.services.lifecycle import booking_cancel, booking_reschedule
from bookings.services.materials import material_add
from bookings.services.waitlist import waitlist_join


def booking_create_for_user(*, user: User, key: str, unit_id: int, item_id: int, starts_at,
                            resident_identity: dict | None = None) -> tuple[Booking, bool]:
    """Book behind an Idempotency-Key (booking_create_idempotent); (the booking's detail, whether it is new)."""
    booking, created = booking_create_idempotent(user=user, key=key, unit_id=unit_id, item_id=item_id,
                                                 starts_at=starts_at, resident_identity=resident_identity)
    return selectors.booking_detail(booking_id=booking.pk), created


def booking_cancel_for_user(*, user: User, booking_id: int, reason: str = "") -> Booking:
    booking = selectors.booking_get_for_user(user=user, booking_id=booking_id)
    booking_cancel(booking=booking, actor=user, reason=reason)
    return selectors.booking_detail(booking_id=booking.pk)


def booking_reschedule_for_user(*, user: User, booking_id: int, starts_at) -> Booking:
    booking = selectors.booking_get_for_user(user=user, booking_id=booking_id)
    booking_reschedule(booking=booking, actor=user, starts_at=starts_at)
    return selectors.booking_detail(booking_id=booking.pk)


def material_add_for_user(*, user: User, booking_id: int, requirement: str, uploaded_file) -> Material:
    """Upload one document for a booking the person may see (material_add checks and cleans it)."""
    booking = selectors.booking_get_for_user(user=user, booking_id=booking_id)
    return material_add(booking=booking, requirement=requirement, uploaded_file=uploaded_file, uploaded_by=user)


def waitlist_join_for_user(*, user: User, unit_id: int, item_id: int, date: datetime.date) -> WaitlistEntry:
    """The resident joins the waiting list of a full day at a unit (NotFound for an unknown unit or item)."""
    return waitlist_join(resident=user, unit=selectors.unit_get(unit_id), item=selectors.item_get(item_id),
                         date=date)
