"""Submitting a case: the one locked read of its facts (reviews.selectors.case_to_submit) answers as the ORM
does, and every refusal still happens in its place."""
import pytest
from django.db import transaction

from accounts.models import User
from core.errors import Conflict, Forbidden, ServiceError
from reviews import selectors, services
from reviews.models import Case, CaseMaterial, CaseStatus
from tests.support.places import STATION, TOWNSHIP_ITEM, WORKSTATION, item
from tests.support.reviews import COUNTY_ITEM, add_material, agent_at, complete_materials, make_booking


def _answers(item_code: str) -> dict:
    """An answer to every required field of the item's form."""
    return {f["name"]: {"choice": (f.get("choices") or [""])[0], "date": "2026-11-02", "number": 1}.get(f["type"], "x")
            for f in item(item_code).form_fields if f.get("required")}


def _draft(resident, *, item_code=TOWNSHIP_ITEM):
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=item_code)
    case = services.case_create(actor=agent, booking=booking, form_data=_answers(item_code))
    return agent, booking, case


def _facts(case, actor):
    with transaction.atomic():
        return selectors.case_to_submit(case_id=case.pk, actor_id=actor.pk)


@pytest.mark.django_db
def test_the_submission_facts_equal_the_orms(org, resident):
    agent, booking, case = _draft(resident, item_code=COUNTY_ITEM)
    own = add_material(booking, "id_card")
    add_material(booking, None)  # an upload answering no requirement still counts as a material
    CaseMaterial.objects.create(case=case, material=own, added_by=agent)  # linked as well: still one material
    # A material of another of the resident's bookings, attached to the case, answers its requirement.
    other = make_booking(resident=resident, item_code=COUNTY_ITEM)
    CaseMaterial.objects.create(case=case, material=add_material(other, "bank_card"), added_by=agent)
    add_material(other, "payment_receipt")  # not attached: not the case's
    facts = _facts(case, agent)
    orm = Case.objects.select_related("item", "booking").get(pk=case.pk)
    materials = selectors.case_materials(case=orm)
    assert facts.materials_count == len(materials) == 3
    assert facts.mandatory_missing == selectors.case_missing_mandatory(case=orm) and len(facts.mandatory_missing) == 1
    assert (facts.status, facts.submission_round, facts.first_submission) == (CaseStatus.DRAFT, 0, True)
    assert (facts.resident_id, facts.booked_by_id, facts.opened_unit_id) == (resident.pk, resident.pk,
                                                                             booking.unit_id)
    assert facts.form_data == orm.form_data and facts.form_fields == orm.item.form_fields != []
    assert facts.actor_is_agent and not _facts(case, agent_at(WORKSTATION)).actor_is_agent
    assert _facts(Case(pk=case.pk + 1000), agent) is None


@pytest.mark.django_db
def test_a_refused_submission_names_the_missing_material_and_changes_nothing(org, resident):
    agent, booking, case = _draft(resident, item_code=COUNTY_ITEM)
    add_material(booking, "id_card")
    add_material(booking, "bank_card")
    with pytest.raises(ServiceError) as refused:
        services.case_submit(case=case, actor=agent)
    assert refused.value.code == "missing_materials" and refused.value.extra["missing"] == ["payment_receipt"]
    case.refresh_from_db()
    assert case.status == CaseStatus.DRAFT and case.submission_round == 0 and case.submitted_at is None


@pytest.mark.django_db
def test_only_an_agent_of_the_opening_unit_submits_a_draft(org, resident):
    agent, booking, case = _draft(resident)
    complete_materials(booking)
    for outsider in (agent_at(WORKSTATION), resident, User.objects.create(username="nobody", role=User.Role.AGENT)):
        with pytest.raises(Forbidden):
            services.case_submit(case=case, actor=outsider)
    submitted = services.case_submit(case=case, actor=agent)
    assert submitted.status == CaseStatus.SUBMITTED and submitted.submission_round == 1
    with pytest.raises(Conflict):
        services.case_submit(case=case, actor=agent)


@pytest.mark.django_db
def test_a_resubmission_keeps_the_first_submission_time(org, resident, django_capture_on_commit_callbacks):
    agent, booking, case = _draft(resident)
    complete_materials(booking)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_submit(case=case, actor=agent)  # routed on commit (eager Celery in the tests)
    case.refresh_from_db()
    first = case.submitted_at
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.NEEDS_MORE_INFO, requested_materials=[])
    resubmitted = services.case_submit(case=Case(pk=case.pk), actor=resident)  # the resident, asked for more
    case.refresh_from_db()
    assert resubmitted.status == case.status == CaseStatus.RESUBMITTED and case.submission_round == 2
    assert case.submitted_at == first < case.last_submitted_at
