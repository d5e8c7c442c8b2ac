"""Writes to the catalog and bookings."""
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Booking, BookingEvent, BookingStatus, Category, MaterialRequirement, ServiceItem
from config.dataload import LoadReport, upsert
from config.errors import ServiceError
from stations.models import Unit


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
    booking.status = to_status
    return True
