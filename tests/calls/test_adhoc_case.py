"""An ad hoc call with a resident becomes a new case, or is linked to a case the caller may see."""
import pytest

from reviews.models import Case
from reviews.services import case_create
from tests.factories import client_for
from tests.support.calls import make_resident, make_staff

pytestmark = pytest.mark.django_db


def _call_resident(o):
    resident = make_resident(o, township=o.town1a)
    agent = make_staff(o.station1a)
    agent_api = client_for(agent)
    call_id = agent_api.post("/api/v1/calls/", {"resident_id": resident.pk}, format="json").json()["id"]
    return resident, agent, agent_api, call_id


def test_ad_hoc_call_turns_into_a_draft_case_of_the_called_resident(calls_org_db):
    o = calls_org_db
    resident, agent, agent_api, call_id = _call_resident(o)
    response = agent_api.post(f"/api/v1/calls/{call_id}/case/", {"item": o.item.pk}, format="json")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["case_id"])
    assert (case.resident, case.item, case.opened_unit, case.opened_by, case.status) == (
        resident, o.item, o.station1a, agent, "draft")
    assert agent_api.get(f"/api/v1/calls/{call_id}/").json()["case_id"] == case.pk
    again = agent_api.post(f"/api/v1/calls/{call_id}/case/", {"item": o.item.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "case_exists"
    assert Case.objects.filter(resident=resident).count() == 1


def test_a_call_between_units_has_no_resident_to_open_a_case_for(calls_org_db):
    o = calls_org_db
    agent_api = client_for(make_staff(o.station1a))
    call_id = agent_api.post("/api/v1/calls/", {"unit_ids": [o.workstation1.pk]}, format="json").json()["id"]
    response = agent_api.post(f"/api/v1/calls/{call_id}/case/", {"item": o.item.pk}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "no_resident"
    assert not Case.objects.exists()


def test_linking_needs_a_case_the_caller_may_see_and_exactly_one_choice(calls_org_db):
    o = calls_org_db
    resident, agent, agent_api, call_id = _call_resident(o)
    foreign_id = case_create(actor=make_staff(o.station2a), resident=make_resident(o, township=o.town2a),
                             item=o.item, unit_id=o.station2a.pk).pk
    refused = agent_api.post(f"/api/v1/calls/{call_id}/case/", {"case_id": foreign_id}, format="json")
    assert refused.status_code == 404
    both = agent_api.post(f"/api/v1/calls/{call_id}/case/", {"case_id": foreign_id, "item": o.item.pk},
                          format="json")
    assert both.status_code == 400 and "二选一" in both.json()["detail"]
    assert agent_api.get(f"/api/v1/calls/{call_id}/").json()["case_id"] is None
