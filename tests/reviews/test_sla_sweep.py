"""The SLA sweep with a frozen clock: deadlines in working days across a weekend and a public holiday,
one warning at 80 %, escalation station → county workstation → city department → the department's head."""
import datetime

import pytest
import time_machine

from accounts.models import Notification
from reviews import services
from reviews.models import Case, CaseEvent, CaseStatus, Escalation
from reviews.tasks import sla_sweep
from stations.models import Closure
from tests.factories import client_for
from tests.support.places import STATION, TOWNSHIP_ITEM, WORKSTATION, unit
from tests.support.reviews import agent_at, complete_materials, local, make_booking, reviewer_at

pytestmark = pytest.mark.django_db
def sweep_at(moment):
    with time_machine.travel(moment, tick=False):
        return services.sla_sweep()


def test_deadline_skips_the_weekend_and_the_holiday(assigned_case):
    assert assigned_case.item.time_limit_days == 1
    # Friday 14 h + (Sat, Sun, Mon holiday skipped) + Tuesday 10 h = 24 working hours.
    assert assigned_case.due_at == local(2026, 12, 29, 10, 0)
    assert assigned_case.promised_due_at == assigned_case.due_at
    # 80 % = 19.2 h: Friday's 14 h and 5.2 h of Tuesday.
    assert assigned_case.warn_at == local(2026, 12, 29, 5, 12)


def test_unit_closure_moves_the_deadline(org, resident, django_capture_on_commit_callbacks):
    Closure.objects.get_or_create(unit=None, date=datetime.date(2026, 12, 28), defaults={"reason": "测试假日"})
    Closure.objects.create(unit=unit(STATION), date=datetime.date(2026, 12, 29), reason="站点停电")
    reviewer_at(STATION)
    agent = agent_at(STATION)
    with time_machine.travel(local(2026, 12, 25, 10, 0), tick=False):
        booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
        complete_materials(booking)
        case = services.case_create(actor=agent, booking=booking, form_data={"household_type": "本地户籍"})
        with django_capture_on_commit_callbacks(execute=True):
            services.case_submit(case=case, actor=agent)
    assert Case.objects.get(pk=case.pk).due_at == local(2026, 12, 30, 10, 0)


def test_warned_once_at_80_percent_then_escalated_up_the_tiers(assigned_case):
    case_id = assigned_case.pk
    station_reviewer = assigned_case.assignee
    county_reviewer = reviewer_at(WORKSTATION)
    department = assigned_case.item.category.owner_department
    department_reviewer = reviewer_at(department.code)
    department_head = reviewer_at(department.code, is_head=True, on_duty=False)

    # Over the weekend and on the holiday nothing is due yet.
    assert sweep_at(local(2026, 12, 26, 12)) == {"warned": 0, "escalated": 0, "requeued": 0}
    assert sweep_at(local(2026, 12, 28, 23, 59)) == {"warned": 0, "escalated": 0, "requeued": 0}
    # 80 % reached on Tuesday 05:12: one warning, never two.
    assert sweep_at(local(2026, 12, 29, 5, 11)) == {"warned": 0, "escalated": 0, "requeued": 0}
    assert sweep_at(local(2026, 12, 29, 5, 13)) == {"warned": 1, "escalated": 0, "requeued": 0}
    assert sweep_at(local(2026, 12, 29, 6, 0)) == {"warned": 0, "escalated": 0, "requeued": 0}
    with time_machine.travel(local(2026, 12, 29, 9, 0), tick=False):
        assert sla_sweep.apply().get() == {"warned": 0, "escalated": 0, "requeued": 0}
        due_soon = client_for(station_reviewer).get("/api/v1/reviews/queue/?sla_state=due_soon").json()
        assert [c["id"] for c in due_soon["results"]] == [case_id]
    assert Notification.objects.filter(user=station_reviewer, kind="case_due_soon").count() == 1

    # Past the deadline: to the county workstation, with a fresh working day there.
    assert sweep_at(local(2026, 12, 29, 10, 1)) == {"warned": 0, "escalated": 1, "requeued": 0}
    case = Case.objects.get(pk=case_id)
    assert (case.unit.code, case.assignee, case.tier, case.status) == (WORKSTATION, county_reviewer, "county",
                                                                       CaseStatus.ASSIGNED)
    assert case.due_at == local(2026, 12, 30, 10, 1)
    assert case.promised_due_at == local(2026, 12, 29, 10, 0)  # what the resident was promised does not move
    assert sweep_at(local(2026, 12, 29, 10, 2)) == {"warned": 0, "escalated": 0, "requeued": 0}
    with time_machine.travel(local(2026, 12, 29, 11), tick=False):
        overdue_at_county = client_for(county_reviewer).get(f"/api/v1/cases/{case_id}/")
        assert overdue_at_county.status_code == 200

    # Still not decided a working day later: to the department owning the category, then its head.
    assert sweep_at(local(2026, 12, 30, 10, 2)) == {"warned": 0, "escalated": 1, "requeued": 0}
    case = Case.objects.get(pk=case_id)
    assert (case.unit, case.assignee, case.tier) == (department, department_reviewer, "city")
    assert sweep_at(local(2026, 12, 31, 10, 3)) == {"warned": 0, "escalated": 1, "requeued": 0}
    case = Case.objects.get(pk=case_id)
    assert (case.unit, case.assignee, case.tier) == (department, department_head, "head")
    assert sweep_at(local(2027, 1, 8, 10)) == {"warned": 0, "escalated": 0, "requeued": 0}  # nowhere higher to go

    escalations = list(Escalation.objects.filter(case_id=case_id).order_by("level")
                       .values_list("level", "from_unit__code", "to_unit__code", "to_tier"))
    assert escalations == [(1, STATION, WORKSTATION, "county"), (2, WORKSTATION, department.code, "city"),
                           (3, department.code, department.code, "head")]
    assert CaseEvent.objects.filter(case_id=case_id, action=CaseEvent.Action.ESCALATED).count() == 3
    assert Notification.objects.filter(user=department_head, kind="case_assigned").count() == 1
    # Decided late: recorded as a missed deadline, in working days from submission.
    with time_machine.travel(local(2027, 1, 8, 11), tick=False):
        services.case_decide(case=case, reviewer=department_head, decision="approve")
    case = Case.objects.get(pk=case_id)
    assert case.met_deadline is False
    # Fri 14 h; Dec 29, 30, 31 and Jan 4-7 whole; Jan 8 until 11:00 (Jan 1 is a public holiday in the data).
    assert case.processing_days == pytest.approx(14 / 24 + 7 + 11 / 24, abs=1e-3)


def test_a_decided_case_is_neither_warned_nor_escalated(assigned_case):
    with time_machine.travel(local(2026, 12, 25, 11), tick=False):
        services.case_decide(case=assigned_case, reviewer=assigned_case.assignee, decision="approve")
    assert sweep_at(local(2027, 1, 5, 12)) == {"warned": 0, "escalated": 0, "requeued": 0}
    assert not Escalation.objects.filter(case=assigned_case).exists()
    case = Case.objects.get(pk=assigned_case.pk)
    assert case.met_deadline is True
    assert case.processing_days == pytest.approx(1 / 24, abs=1e-3)


def test_sweep_requeues_a_submitted_case_whose_routing_message_was_lost(org, resident):
    reviewer = reviewer_at(STATION)
    agent = agent_at(STATION)
    with time_machine.travel(local(2026, 12, 1, 10, 0), tick=False):
        booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
        complete_materials(booking)
        case = services.case_create(actor=agent, booking=booking, form_data={"household_type": "本地户籍"})
        services.case_submit(case=case, actor=agent)  # the on-commit publish never happens here: "lost"
    assert sweep_at(local(2026, 12, 1, 10, 1))["requeued"] == 0  # not yet: routing may still be under way
    assert sweep_at(local(2026, 12, 1, 10, 3))["requeued"] == 1  # eager: routed at once
    case.refresh_from_db()
    assert (case.status, case.assignee) == (CaseStatus.ASSIGNED, reviewer)
    assert sweep_at(local(2026, 12, 1, 10, 5))["requeued"] == 0
