"""Issue 18 §13: a unit whose seal is revoked is no routing candidate; the case goes to the next unit the policy
allows and the timeline says why."""
import pytest

from reviews import services
from reviews.models import Case, CaseEvent, CaseRouting
from reviews.routing import Reason
from tests.support.places import STATION, WORKSTATION, item, unit
from tests.support.reviews import COUNTY_ITEM, agent_at, complete_materials, make_booking, reviewer_at

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[True, False], ids=["sealing-required", "sealing-optional"])
def sealing(request, settings, org):
    from signing.services import ca_create

    settings.SEALING_REQUIRED = request.param
    return ca_create()


def _route_county_case(resident):
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=COUNTY_ITEM)
    complete_materials(booking)
    answers = {f["name"]: {"choice": (f.get("choices") or [""])[0], "date": "2026-11-01", "number": 1}.get(
        f["type"], "文本") for f in booking.item.form_fields if f.get("required")}
    case = services.case_create(actor=agent, booking=booking, form_data=answers)
    services.case_submit(case=case, actor=agent)
    services.case_route(case_id=case.pk, submission_round=1)
    return Case.objects.get(pk=case.pk)


def _sealed_reviewers():
    from signing.services import seal_issue

    at_workstation = reviewer_at(WORKSTATION)
    workstation_seal = seal_issue(unit=unit(WORKSTATION), keepers=[at_workstation])
    department = item(COUNTY_ITEM).category.owner_department
    at_department = reviewer_at(department.code)
    seal_issue(unit=department, keepers=[at_department])
    return at_workstation, workstation_seal, at_department


def test_revoked_workstation_seal_routes_the_case_up_and_says_so(sealing, resident):
    from signing.services import seal_revoke

    _at_workstation, workstation_seal, at_department = _sealed_reviewers()
    seal_revoke(seal=workstation_seal, reason="key compromised")

    case = _route_county_case(resident)

    assert case.unit == item(COUNTY_ITEM).category.owner_department
    assert case.assignee == at_department
    assert CaseRouting.objects.get(case=case).reason == Reason.COUNTY_NO_SEAL
    routed = CaseEvent.objects.get(case=case, action=CaseEvent.Action.ROUTED)
    assert "印章" in routed.comment and routed.unit_id == case.unit_id


def test_usable_workstation_seal_keeps_the_case_at_the_workstation(sealing, resident):
    at_workstation, _seal, _at_department = _sealed_reviewers()

    case = _route_county_case(resident)

    assert case.unit == unit(WORKSTATION) and case.assignee == at_workstation
    assert CaseRouting.objects.get(case=case).reason == Reason.COUNTY_WORKSTATION
