"""Fixtures for reviews: bookings and materials made directly with the ORM, reviewers at real units."""
import datetime
import hashlib
import itertools

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, Material, MaterialRequirement, ServiceItem
from stations.models import Unit
from tests.factories import (
    client_for,  # noqa: F401  (re-exported for the tests of this folder)
    staff_at,
)

_slot = itertools.count()

STATION = "371702001"  # 东城街道医疗保障服务站 (牡丹区), the factory resident's township
WORKSTATION = "371702000"  # 牡丹区医疗保障工作站
OTHER_WORKSTATION = "371703000"  # 定陶区医疗保障工作站
TOWNSHIP_ITEM = "C01-01"  # mandatory: id_card
COUNTY_ITEM = "C03-02"
CITY_ITEM = "C11-01"


@pytest.fixture(autouse=True)
def _reviews_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALING_REQUIRED = False


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def item(code: str) -> ServiceItem:
    return ServiceItem.objects.get(code=code)


def reviewer_at(code: str, **rights) -> User:
    rights = {"is_reviewer": True, "is_seal_keeper": True, **rights}
    return staff_at(unit(code), role=User.Role.REVIEWER, **rights)


def agent_at(code: str) -> User:
    return staff_at(unit(code), role=User.Role.AGENT, is_agent=True)


def make_booking(*, resident: User, item_code: str, unit_code: str = STATION, status="completed") -> Booking:
    # Distinct past slots: the database refuses overlapping bookings of one resident.
    start = timezone.now() - datetime.timedelta(days=2, hours=next(_slot))
    the_item = item(item_code)
    return Booking.objects.create(unit=unit(unit_code), item=the_item, resident=resident, booked_by=resident,
                                  starts_at=start, ends_at=start + datetime.timedelta(minutes=the_item.session_minutes),
                                  status=status)


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


