"""Issue 18 §13, the SLA half: an overdue case is not escalated to a unit that cannot seal its decision; it goes
to the next unit up that can (or to its own unit's head when none can), and the timeline says why."""
import pytest

from reviews import services
from reviews.models import Case, CaseEvent, Escalation
from reviews.routing import Reason
from tests.support.places import STATION, WORKSTATION, unit
from tests.support.reviews import local, reviewer_at

pytestmark = pytest.mark.django_db
PAST_THE_DEADLINE = local(2026, 12, 29, 10, 1)  # assigned_case is due on 2026-12-29 10:00


def _escalated_event(case_id: int) -> CaseEvent:
    return CaseEvent.objects.get(case_id=case_id, action=CaseEvent.Action.ESCALATED)


def test_a_workstation_with_a_revoked_seal_is_passed_over_for_the_department(assigned_case, settings):  # noqa: F811
    from signing.services import ca_create, seal_issue, seal_revoke

    ca_create()
    settings.SEALING_REQUIRED = True
    at_workstation = reviewer_at(WORKSTATION)
    seal_revoke(seal=seal_issue(unit=unit(WORKSTATION), keepers=[at_workstation]), reason="key compromised")
    department = assigned_case.item.category.owner_department
    at_department = reviewer_at(department.code)
    seal_issue(unit=department, keepers=[at_department])

    escalation = services.case_escalate(case_id=assigned_case.pk, now=PAST_THE_DEADLINE)

    assert (escalation.from_unit.code, escalation.to_unit, escalation.to_tier) == (STATION, department, "city")
    case = Case.objects.get(pk=assigned_case.pk)
    assert (case.unit, case.assignee, case.tier) == (department, at_department, "city")
    event = _escalated_event(case.pk)
    assert event.unit_id == department.pk
    assert event.comment == str(services.REASON_TEXT[Reason.ESCALATED_NO_SEAL]) and "印章" in event.comment


def test_with_no_unit_above_able_to_seal_the_case_goes_to_its_own_head(assigned_case):  # noqa: F811
    # Reviewers above, but no seal keeper anywhere above the station: none of them could seal the decision.
    reviewer_at(WORKSTATION, is_seal_keeper=False)
    reviewer_at(assigned_case.item.category.owner_department.code, is_seal_keeper=False)
    head = reviewer_at(STATION, is_head=True, on_duty=False)

    escalation = services.case_escalate(case_id=assigned_case.pk, now=PAST_THE_DEADLINE)

    assert (escalation.to_unit.code, escalation.to_user, escalation.to_tier) == (STATION, head, "head")
    case = Case.objects.get(pk=assigned_case.pk)
    assert (case.unit.code, case.assignee, case.tier) == (STATION, head, "head")
    event = _escalated_event(case.pk)
    assert event.comment == str(services.REASON_TEXT[Reason.ESCALATED_TO_HEAD_NO_SEAL])
    assert Escalation.objects.filter(case=case).count() == 1


def test_a_workstation_that_can_seal_still_takes_the_case_first(assigned_case):  # noqa: F811
    at_workstation = reviewer_at(WORKSTATION)
    reviewer_at(assigned_case.item.category.owner_department.code)

    services.case_escalate(case_id=assigned_case.pk, now=PAST_THE_DEADLINE)

    case = Case.objects.get(pk=assigned_case.pk)
    assert (case.unit.code, case.assignee, case.tier) == (WORKSTATION, at_workstation, "county")
    assert _escalated_event(case.pk).comment == str(services.REASON_TEXT[Reason.ESCALATED])
