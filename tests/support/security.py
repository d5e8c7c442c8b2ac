"""The security suite's world: one resident's booking, material, call and routed case at a real station,
and three outsiders who try them (another resident, an agent of another county's station, a reviewer of
another county's workstation). Built with the ORM and the apps' own services."""
import datetime
import hashlib
import itertools
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, Material, MaterialRequirement
from tests.factories import BookingFactory, ResidentFactory, staff_at
from tests.support.places import OTHER_STATION, OTHER_WORKSTATION, STATION, TOWNSHIP_ITEM, WORKSTATION, item, unit

COUNTY_ITEM = "C05-01"  # county level, one mandatory material, one required field
_hour = itertools.count(1)
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def booking_at(*, resident: User, item_code: str, unit_code: str = STATION, status: str = "booked",
               days: int = 3) -> Booking:
    """A booking `days` from today, in opening hours (each one an hour later, so one resident's never overlap)."""
    local = timezone.localtime() + datetime.timedelta(days=days)
    start = local.replace(hour=8, minute=0, second=0, microsecond=0) + datetime.timedelta(hours=next(_hour) % 9)
    return BookingFactory(resident=resident, item=item(item_code), unit=unit(unit_code), status=status,
                          starts_at=start)


def material_for(booking: Booking, requirement: MaterialRequirement | None = None) -> Material:
    return Material.objects.create(booking=booking, requirement=requirement, file=ContentFile(PNG, name="scan.png"),
                                   file_type="png", original_name="scan.png", size=len(PNG),
                                   sha256=hashlib.sha256(PNG).hexdigest(), uploaded_by=booking.resident)


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


def world_state(world) -> dict:
    """What an outsider must not be able to change in the world."""
    from calls.models import Call, CallInvitation
    from reviews.models import Case

    world.booking.refresh_from_db()
    case = Case.objects.get(pk=world.case.pk)
    draft = Case.objects.get(pk=world.draft_case.pk)
    call = Call.objects.get(pk=world.call.pk)
    return {"booking": (world.booking.status, world.booking.starts_at),
            "case": (case.status, case.unit_id, case.assignee_id, case.events.count()),
            "draft": (draft.status, draft.events.count()),
            "call": (call.status, CallInvitation.objects.filter(call=call).count()),
            "materials": world.booking.materials.count()}
