"""Staff see a resident's personal data only through a booking, call or case of their own unit, or with her
consent at that moment (issue: an agent of another county opened a walk-in case for her and read her files)."""
import pytest
from django.utils import timezone

from calls.models import Call, Participant
from reviews.models import Case, CaseEvent
from stations.models import Unit
from tests.factories import ResidentFactory, client_for
from tests.support.places import STATION, TOWNSHIP_ITEM, item
from tests.support.reviews import add_material, agent_at, make_booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(org):
    return ResidentFactory()


@pytest.fixture
def foreign_agent(org):
    """An agent of a township station in another county than the resident's."""
    far = Unit.objects.filter(kind="township_station").exclude(county__code__startswith="371702").order_by("code")
    return agent_at(far.first().code)


def open_walk_in(agent, resident):
    response = client_for(agent).post("/api/v1/cases/", {"resident_phone": resident.phone,
                                                         "item_id": item(TOWNSHIP_ITEM).pk}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_foreign_agent_cannot_take_her_materials_or_read_her_file(foreign_agent, resident):
    her_booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM, unit_code=STATION)
    her_upload = add_material(her_booking, "id_card")
    case = open_walk_in(foreign_agent, resident)
    assert case["resident"]["name"] != resident.real_name
    assert case["resident"]["name"].startswith(resident.real_name[0])

    agent = client_for(foreign_agent)
    attach = agent.post(f"/api/v1/cases/{case['id']}/materials/", {"material_id": her_upload.pk}, format="json")
    assert attach.status_code == 403 and attach.json()["code"] == "consent_required"
    assert not Case.objects.get(pk=case["id"]).attached_materials.exists()
    assert agent.get(f"/api/v1/bookings/{her_booking.pk}/materials/{her_upload.pk}/file").status_code == 404
    assert resident.real_name not in agent.get(f"/api/v1/cases/{case['id']}/").content.decode()
    # The agent cannot consent for her outside a live call with her.
    refused = agent.post(f"/api/v1/cases/{case['id']}/consent/")
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"
    assert Case.objects.get(pk=case["id"]).consent_at is None


def test_her_consent_on_her_phone_opens_the_case_and_is_in_the_timeline(foreign_agent, resident):
    her_booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM, unit_code=STATION)
    her_upload = add_material(her_booking, "id_card")
    case = open_walk_in(foreign_agent, resident)
    assert client_for(resident).post(f"/api/v1/cases/{case['id']}/consent/").status_code == 200

    agent = client_for(foreign_agent)
    detail = agent.get(f"/api/v1/cases/{case['id']}/").json()
    assert detail["resident"]["name"] == resident.real_name and detail["consent_at"]
    assert agent.post(f"/api/v1/cases/{case['id']}/materials/", {"material_id": her_upload.pk},
                      format="json").status_code == 201
    assert agent.get(f"/api/v1/bookings/{her_booking.pk}/materials/{her_upload.pk}/file").status_code == 200
    event = CaseEvent.objects.get(case_id=case["id"], action=CaseEvent.Action.CONSENTED)
    assert event.actor_id == resident.pk and event.comment


def test_consent_given_in_a_live_call_with_the_agent(foreign_agent, resident):
    case = open_walk_in(foreign_agent, resident)
    opened_unit = Case.objects.get(pk=case["id"]).opened_unit
    now = timezone.now()
    call = Call.objects.create(kind=Call.Kind.AD_HOC, host_unit=opened_unit, created_by=foreign_agent,
                               status=Call.Status.ACTIVE, started_at=now)
    for user, role in ((resident, Participant.Role.RESIDENT), (foreign_agent, Participant.Role.CALLER)):
        Participant.objects.create(call=call, user=user, role=role, state=Participant.State.ADMITTED, joined_at=now,
                                   admitted_at=now, last_seen_at=now)
    consented = client_for(foreign_agent).post(f"/api/v1/cases/{case['id']}/consent/")
    assert consented.status_code == 200 and consented.json()["resident"]["name"] == resident.real_name
    assert Case.objects.get(pk=case["id"]).consent_via == "live_call"
    call.status = Call.Status.ENDED
    call.save()
    other = open_walk_in(foreign_agent, resident)
    assert client_for(foreign_agent).post(f"/api/v1/cases/{other['id']}/consent/").status_code == 403


def test_a_booking_case_shows_her_name_to_its_own_unit(resident):
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM, unit_code=STATION)
    response = client_for(agent).post("/api/v1/cases/", {"booking_id": booking.pk}, format="json")
    assert response.status_code == 201 and response.json()["resident"]["name"] == resident.real_name
