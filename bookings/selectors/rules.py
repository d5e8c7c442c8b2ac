"""The booking rules that several places ask about, each written once: which units take bookings, who is a
party of a booking (the resident, or the proxy who booked for them), until when a party may change it, and
which mandatory materials are still missing."""
import datetime
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from bookings.conf import booking_setting
from bookings.models import Booking, Material, MaterialRequirement
from core.errors import ServiceError
from stations.models import Unit
from stations.selectors import unit_list

BOOKABLE_UNIT_KINDS = Unit.FRONT_OFFICE_KINDS


def unit_bookable(*, kind: str, active: bool) -> bool:
    """Township stations and county workstations that are open for business take video bookings."""
    return kind in BOOKABLE_UNIT_KINDS and active


def unit_bookable_check(*, kind: str, active: bool) -> None:
    if not unit_bookable(kind=kind, active=active):
        raise ServiceError(_("该机构不受理视频预约，请选择乡镇服务站或县区工作站。"), code="unit_not_bookable")


def bookable_unit_list(*, county_code: str, township_code: str | None = None) -> QuerySet[Unit]:
    """The county's units that take video bookings (unit_bookable as a filter). With `township_code`, of the
    township stations only that township's: the county workstation and the stations the resident lives near."""
    units = unit_list(county_code=county_code, active_only=True).filter(kind__in=BOOKABLE_UNIT_KINDS)
    if township_code is not None:
        units = units.filter(~Q(kind=Unit.Kind.TOWNSHIP_STATION) | Q(township__code=township_code))
    return units


def is_booking_party(*, booking: Booking, user) -> bool:
    """The resident and, for a proxy booking (代办), whoever booked it."""
    return user is not None and user.pk in (booking.resident_id, booking.booked_by_id)


def booking_parties_q(user) -> Q:
    """The same rule as a filter: bookings where `user` is the resident or the proxy."""
    return Q(resident=user) | Q(booked_by=user)


def booking_change_deadline(booking: Booking) -> datetime.datetime:
    """A party may cancel or reschedule until this moment; the unit's staff at any time."""
    return booking.starts_at - datetime.timedelta(minutes=booking_setting("BOOKING_CHANGE_CUTOFF_MINUTES"))


def booking_change_check(*, booking: Booking, now: datetime.datetime) -> None:
    if now > booking_change_deadline(booking):
        raise ServiceError(
            _("距开始已不足%(minutes)d分钟，不能再取消或改约；如有需要请联系服务站。")
            % {"minutes": booking_setting("BOOKING_CHANGE_CUTOFF_MINUTES")},
            code="change_too_late", status_code=409)


def missing_mandatory(*, requirements: Iterable[MaterialRequirement],
                      materials: Iterable[Material]) -> list[MaterialRequirement]:
    """The mandatory ones of `requirements` that none of `materials` answers, in checklist order."""
    present = {material.requirement_id for material in materials}
    return sorted((r for r in requirements if r.mandatory and r.pk not in present), key=lambda r: (r.sort, r.pk))


def booking_missing_mandatory(booking: Booking) -> list[MaterialRequirement]:
    """The booking's missing mandatory materials; uses the item's requirements and the booking's materials as
    prefetched (booking_detail, the lists) or reads them."""
    return missing_mandatory(requirements=booking.item.requirements.all(), materials=booking.materials.all())
