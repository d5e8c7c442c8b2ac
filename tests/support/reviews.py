"""Reviewers and agents at real units, bookings and materials for the review tests (made with the ORM)."""
import datetime
import hashlib
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile

from accounts.models import User
from bookings.models import Booking, Material, MaterialRequirement
from tests.factories import BookingFactory, staff_at
from tests.support.places import STATION, item, unit

TZ = ZoneInfo("Asia/Shanghai")
COUNTY_ITEM = "C03-02"
CITY_ITEM = "C11-01"


def reviewer_at(code: str, **rights) -> User:
    rights = {"is_reviewer": True, "is_seal_keeper": True, **rights}
    return staff_at(unit(code), role=User.Role.REVIEWER, **rights)


def agent_at(code: str) -> User:
    return staff_at(unit(code), role=User.Role.AGENT, is_agent=True)


def make_booking(*, resident: User, item_code: str, unit_code: str = STATION, status="completed") -> Booking:
    """A past booking (the factory gives each a distinct slot) of `item_code` at `unit_code`."""
    return BookingFactory(resident=resident, item=item(item_code), unit=unit(unit_code), status=status)


def add_material(booking: Booking, requirement_code: str | None, *, by: User | None = None,
                 content: bytes = b"\x89PNG fake scan") -> Material:
    requirement = (MaterialRequirement.objects.get(item_id=booking.item_id, code=requirement_code)
                   if requirement_code else None)
    return Material.objects.create(
        booking=booking, requirement=requirement, file=ContentFile(content, name="scan.png"), file_type="png",
        original_name="scan.png", size=len(content), sha256=hashlib.sha256(content).hexdigest(),
        uploaded_by=by or booking.resident)


def complete_materials(booking: Booking) -> None:
    for requirement in MaterialRequirement.objects.filter(item_id=booking.item_id, mandatory=True):
        add_material(booking, requirement.code)


def local(*args) -> datetime.datetime:
    """A moment in the bureau's time zone: local(2026, 12, 25, 10, 0)."""
    return datetime.datetime(*args, tzinfo=TZ)
