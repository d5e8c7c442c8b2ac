"""Routing a submitted case to a unit (and a reviewer) once, whatever the number of deliveries."""
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.logging import get_logger
from reviews import routing, selectors
from reviews.models import Case, CaseEvent, CaseRouting, CaseStatus
from reviews.services.common import _notify_assigned, _reason_text, _record

log = get_logger(__name__)


def case_route(*, case_id: int, submission_round: int) -> CaseRouting | None:
    """Route a submitted case once. Returns None when it was already routed (a duplicate delivery)."""
    case = selectors.case_to_route(case_id=case_id, submission_round=submission_round)
    if case is None:
        return None
    request = selectors.routing_request_for(case=case)
    decision = routing.route(request)
    now = timezone.now()
    warn_at, due_at = selectors.deadline_for(unit_id=decision.unit_id, start=now, days=case.time_limit_days)
    try:
        with transaction.atomic():
            # The claim: only the first delivery finds the case still waiting in this round.
            claimed = Case.objects.filter(pk=case_id, status=case.status, submission_round=submission_round).update(
                status=CaseStatus.ASSIGNED, unit_id=decision.unit_id, assignee_id=decision.reviewer_id,
                tier=decision.tier, assigned_at=now, sla_started_at=now, warn_at=warn_at, due_at=due_at,
                promised_due_at=due_at, warned_at=None, updated_at=now)
            if not claimed:
                return None
            routed = CaseRouting.objects.create(case_id=case_id, round=submission_round, unit_id=decision.unit_id,
                                                reviewer_id=decision.reviewer_id, tier=decision.tier,
                                                reason=decision.reason)
            _record(case_id=case_id, action=CaseEvent.Action.ROUTED, from_status=case.status,
                    to_status=CaseStatus.ASSIGNED, unit_id=decision.unit_id, comment=_reason_text(decision.reason))
            _notify_assigned(case_id=case_id, item_name=case.item_name,
                             recipient_ids=_routed_recipients(decision, request.units),
                             key=f"case:{case_id}:round:{submission_round}")
    except IntegrityError:
        return None
    log.info("case.routed", case_id=case_id, unit_id=decision.unit_id, reviewer_id=decision.reviewer_id,
             tier=decision.tier, reason=decision.reason)
    return routed


def _routed_recipients(decision: routing.RoutingDecision, units: tuple[routing.UnitCandidate, ...]) -> list[int]:
    """The assignee, or everyone on duty in the unit's queue (read with the routing inputs: no query)."""
    if decision.reviewer_id:
        return [decision.reviewer_id]
    unit = next(u for u in units if u.unit_id == decision.unit_id)
    return [reviewer.user_id for reviewer in unit.on_duty]
