"""Reads of bookings, their materials and the waiting list, and who may see them."""
import datetime
from collections.abc import Callable

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Booking, BookingEvent, Material, MaterialRequirement, WaitlistEntry, WaitlistStatus
from bookings.selectors.rules import booking_parties_q, is_booking_party
from bookings.selectors.slots import local_zone
from core.errors import Forbidden, NotFound
from stations.models import StaffMembership


def staff_unit_ids(*, user, agent_only: bool = False) -> QuerySet:
    memberships = StaffMembership.objects.filter(user=user)
    if agent_only:
        memberships = memberships.filter(Q(is_agent=True) | Q(is_head=True))
    return memberships.values("unit_id")


def is_staff_of_unit(*, user, unit_id: int, agent_only: bool = False) -> bool:
    if not (user and user.is_authenticated and user.is_staff_member):
        return False
    return staff_unit_ids(user=user, agent_only=agent_only).filter(unit_id=unit_id).exists()


def bookings_visible_to(user) -> QuerySet[Booking]:
    """The resident's own bookings, those they booked for others, and for staff their units' bookings."""
    if not (user and user.is_authenticated):
        return Booking.objects.none()
    if user.is_superuser or user.role == user.Role.ADMINISTRATOR:
        return Booking.objects.all()
    visible = booking_parties_q(user)
    if user.is_staff_member:
        visible |= Q(unit_id__in=staff_unit_ids(user=user))
    return Booking.objects.filter(visible)


def booking_get_for_user(*, user, booking_id) -> Booking:
    """The booking if `user` may see it; NotFound (404) otherwise, so ids of others' bookings leak nothing."""
    booking = (bookings_visible_to(user).select_related("unit", "item", "resident", "booked_by")
               .filter(pk=booking_id).first())
    if booking is None:
        raise NotFound(_("找不到该预约。"), code="booking_not_found")
    return booking


def _with_answer_data(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    """What a booking's answer shows: unit, item, people, call, checklist and materials, read in a few queries."""
    return bookings.select_related("unit", "item", "resident", "booked_by", "call").prefetch_related(
        Prefetch("item__requirements", queryset=MaterialRequirement.objects.order_by("sort", "pk")),
        Prefetch("materials", queryset=Material.objects.select_related("requirement")))


def _with_events(bookings: QuerySet[Booking]) -> QuerySet[Booking]:
    return _with_answer_data(bookings).prefetch_related(
        Prefetch("events", queryset=BookingEvent.objects.select_related("actor")))


def booking_detail(*, booking_id: int) -> Booking:
    """One booking with everything its detailed answer shows (events too); the caller has checked access."""
    return _with_events(Booking.objects.filter(pk=booking_id)).get()


def booking_detail_for_user(*, user, booking_id) -> Booking:
    """booking_detail of a booking `user` may see; NotFound (404) otherwise, as booking_get_for_user."""
    booking = _with_events(bookings_visible_to(user).filter(pk=booking_id)).first()
    if booking is None:
        raise NotFound(_("找不到该预约。"), code="booking_not_found")
    return booking


def booking_list_for_unit(*, unit_id: int, day: datetime.date) -> QuerySet[Booking]:
    start = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=local_zone())
    return (Booking.objects.filter(unit_id=unit_id, starts_at__gte=start, starts_at__lt=start + datetime.timedelta(1))
            .order_by("starts_at", "pk"))


def booking_list_for_user(*, user, unit_id: int | None = None, day: datetime.date | None = None,
                          status: str | None = None) -> QuerySet[Booking]:
    """A unit's bookings of a day (its agents and heads only), or else the user's own and those they booked."""
    if unit_id is not None:
        if not is_staff_of_unit(user=user, unit_id=unit_id, agent_only=True):
            raise Forbidden(_("只有该机构的窗口工作人员可以查看其预约列表。"))
        bookings = booking_list_for_unit(unit_id=unit_id, day=day or timezone.now().astimezone(local_zone()).date())
    else:
        bookings = Booking.objects.filter(booking_parties_q(user)).order_by("-starts_at", "-pk")
    if status:
        bookings = bookings.filter(status=status)
    return _with_answer_data(bookings)


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
    if is_booking_party(booking=booking, user=user):
        return True
    if is_staff_of_unit(user=user, unit_id=booking.unit_id):
        return True
    return any(hook(user, material) for hook in MATERIAL_READ_HOOKS)


def material_get_for_user(*, user, booking_id: int, material_id: int) -> Material:
    material = Material.objects.select_related("booking").filter(pk=material_id, booking_id=booking_id).first()
    if material is None or not material_readable_by(user, material):
        raise NotFound(_("找不到该材料。"), code="material_not_found")
    return material


# --- Waiting list -----------------------------------------------------------------------

def waitlist_for_user(*, user) -> QuerySet[WaitlistEntry]:
    return (WaitlistEntry.objects.filter(resident=user, status__in=[WaitlistStatus.WAITING, WaitlistStatus.OFFERED])
            .select_related("unit", "item").order_by("date", "created_at"))


def waitlist_entry_for_user(*, user, entry_id: int) -> WaitlistEntry:
    entry = WaitlistEntry.objects.filter(pk=entry_id, resident=user).first()
    if entry is None:
        raise NotFound(_("找不到该候补记录。"))
    return entry
