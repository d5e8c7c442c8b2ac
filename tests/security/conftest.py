"""The security suite's world: one resident's booking, material, call and routed case at a real station,
and three outsiders who try them (another resident, an agent of another county's station, a reviewer of
another county's workstation). Built with the ORM and the apps' own services."""
import datetime
import hashlib
import itertools
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from bookings.models import Booking, Material, MaterialRequirement, ServiceItem
from stations.models import Unit
from tests.factories import ResidentFactory, staff_at

STATION = "371702001"  # 东城街道 (牡丹区): the factory resident's own township
WORKSTATION = "371702000"
OTHER_STATION = "371703001"  # 定陶区
OTHER_WORKSTATION = "371703000"
TOWNSHIP_ITEM = "C01-01"
COUNTY_ITEM = "C05-01"  # county level, one mandatory material, one required field
_hour = itertools.count(1)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def unit(code: str) -> Unit:
    return Unit.objects.get(code=code)


def booking_at(*, resident: User, item_code: str, unit_code: str = STATION, status: str = "booked",
               days: int = 3) -> Booking:
    item = ServiceItem.objects.get(code=item_code)
    local = timezone.localtime() + datetime.timedelta(days=days)
    start = local.replace(hour=8, minute=0, second=0, microsecond=0) + datetime.timedelta(hours=next(_hour) % 9)
    return Booking.objects.create(unit=unit(unit_code), item=item, resident=resident, booked_by=resident,
                                  starts_at=start, ends_at=start + datetime.timedelta(minutes=item.session_minutes),
                                  status=status)


def material_for(booking: Booking, requirement: MaterialRequirement | None = None) -> Material:
    return Material.objects.create(booking=booking, requirement=requirement, file=ContentFile(PNG, name="scan.png"),
                                   file_type="png", original_name="scan.png", size=len(PNG),
                                   sha256=hashlib.sha256(PNG).hexdigest(), uploaded_by=booking.resident)


def api_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def session_cookie(user: User) -> str:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@dataclass
class World:
    resident: User
    agent: User
    reviewer: User
    booking: Booking
    material: Material
    call: object
    case: object  # routed to the resident's county workstation
    draft_case: object
    outsiders: dict


def build_world() -> World:
    from calls.services import booking_call_create
    from reviews.services import case_create, case_submit

    resident = ResidentFactory()
    agent = staff_at(unit(STATION), role=User.Role.AGENT, is_agent=True)
    staff_at(unit(WORKSTATION), role=User.Role.AGENT, is_agent=True)
    reviewer = staff_at(unit(WORKSTATION), role=User.Role.REVIEWER, is_reviewer=True, is_seal_keeper=True)
    booking = booking_at(resident=resident, item_code=TOWNSHIP_ITEM)
    material = material_for(booking)
    call = booking_call_create(booking=booking)
    draft_case = case_create(actor=agent, booking=booking)

    county_booking = booking_at(resident=resident, item_code=COUNTY_ITEM, status="completed", days=-2)
    for requirement in MaterialRequirement.objects.filter(item_id=county_booking.item_id, mandatory=True):
        material_for(county_booking, requirement)
    case = case_create(actor=agent, booking=county_booking,  # the booking's materials come with it
                       form_data={"destination": "北京市朝阳区"})
    case_submit(case=case, actor=agent)  # Celery is eager in tests: routed on commit
    case.refresh_from_db()

    outsiders = {
        "other_resident": ResidentFactory(),
        "agent_of_other_county": staff_at(unit(OTHER_STATION), role=User.Role.AGENT, is_agent=True),
        "reviewer_of_other_county": staff_at(unit(OTHER_WORKSTATION), role=User.Role.REVIEWER, is_reviewer=True,
                                             is_seal_keeper=True),
    }
    return World(resident=resident, agent=agent, reviewer=reviewer, booking=booking, material=material, call=call,
                 case=case, draft_case=draft_case, outsiders=outsiders)


@pytest.fixture
def world(org, settings, tmp_path, django_capture_on_commit_callbacks) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALING_REQUIRED = False
    with django_capture_on_commit_callbacks(execute=True):
        built = build_world()
    built.case.refresh_from_db()
    return built
