"""The time limit: warn at 80 %, escalate past the deadline, re-queue routing that never happened."""
import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notification_send
from core.logging import get_logger
from reviews import routing, selectors
from reviews.models import OPEN_REVIEW_STATUSES, ROUTABLE_STATUSES, Case, CaseEvent, CaseStatus, Escalation, Tier
from reviews.services.common import _notify_assigned, _reason_text, _record, _unit_reviewer_ids

log = get_logger(__name__)

# A submitted case still unrouted after this long had its routing message lost: the sweep queues it again.
ROUTING_GRACE_SECONDS = 120


def case_sla_warn(*, case_id: int, now: datetime.datetime) -> bool:
    """Warn the holder once when 80 % of the time limit is used (the unit's reviewers when unassigned)."""
    with transaction.atomic():
        warned = Case.objects.filter(pk=case_id, status__in=OPEN_REVIEW_STATUSES, warned_at__isnull=True,
                                     warn_at__lte=now, due_at__gt=now).update(warned_at=now)
        if not warned:
            return False
        case = Case.objects.select_related("item").get(pk=case_id)
        recipients = [case.assignee_id] if case.assignee_id else _unit_reviewer_ids(case.unit_id)
        for user in User.objects.filter(pk__in=recipients):
            notification_send(
                user=user, event_key=f"case:{case.pk}:sla:{case.escalation_level}:{case.submission_round}"
                                     f":warn:{user.pk}",
                kind="case_due_soon", title=_("案件临近办理期限"),
                body=_("%(item)s #%(id)s 将于 %(due)s 到期") % {
                    "item": case.item.name, "id": case.pk,
                    "due": timezone.localtime(case.due_at).strftime("%Y-%m-%d %H:%M")},
                link=f"/reviews/cases/{case.pk}/")
        _record(case_id=case.pk, action=CaseEvent.Action.WARNED, from_status=case.status, to_status=case.status,
                unit_id=case.unit_id, comment=_("已用时限的 %(pct)d%%") % {"pct": settings.REVIEWS_WARN_PERCENT})
    return True


def case_escalate(*, case_id: int, now: datetime.datetime) -> Escalation | None:
    """Move an overdue case up a tier (or to its unit's head at the top) and record it."""
    with transaction.atomic():
        case = (Case.objects.select_for_update(of=("self",)).select_related("item__category")
                .filter(pk=case_id, status__in=OPEN_REVIEW_STATUSES, due_at__lte=now).exclude(tier=Tier.HEAD).first())
        if case is None:
            return None
        target = routing.escalate(selectors.escalation_request_for(case=case))
        if target is None:
            # Nobody above: keep it where it is, marked as at the top, so the sweep stops looking at it.
            Case.objects.filter(pk=case.pk).update(tier=Tier.HEAD)
            return None
        level = case.escalation_level + 1
        warn_at, due_at = selectors.deadline_for(unit_id=target.unit_id, start=now,
                                                 days=settings.REVIEWS_ESCALATION_DAYS)
        escalation = Escalation.objects.create(
            case=case, level=level, from_unit_id=case.unit_id, to_unit_id=target.unit_id,
            from_user_id=case.assignee_id, to_user_id=target.reviewer_id, from_tier=case.tier or "",
            to_tier=target.tier, overdue_since=case.due_at)
        from_status = case.status
        from_unit_id = case.unit_id
        Case.objects.filter(pk=case.pk).update(
            unit_id=target.unit_id, assignee_id=target.reviewer_id, tier=target.tier, status=CaseStatus.ASSIGNED,
            escalation_level=level, warn_at=warn_at, due_at=due_at, sla_started_at=now, warned_at=None,
            updated_at=now)
        _record(case_id=case.pk, action=CaseEvent.Action.ESCALATED, from_status=from_status,
                to_status=CaseStatus.ASSIGNED, unit_id=target.unit_id, comment=_reason_text(target.reason))
        recipients = [target.reviewer_id] if target.reviewer_id else _unit_reviewer_ids(target.unit_id)
        _notify_assigned(case_id=case.pk, item_name=case.item.name, recipient_ids=recipients,
                         key=f"case:{case.pk}:escalation:{level}")
    log.info("case.escalated", case_id=case_id, level=level, from_unit_id=from_unit_id, to_unit_id=target.unit_id,
             to_tier=target.tier)
    return escalation


def sla_sweep(*, now: datetime.datetime | None = None) -> dict:
    """Warn at 80 %, escalate past the deadline, and re-queue routing that never happened (a message lost
    with a broker's data). Safe to run concurrently and again: every step is a claim."""
    from reviews.tasks import route_case

    now = now or timezone.now()
    open_cases = Case.objects.filter(status__in=OPEN_REVIEW_STATUSES)
    to_warn = list(open_cases.filter(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)
                   .values_list("pk", flat=True))
    to_escalate = list(open_cases.filter(due_at__lte=now).exclude(tier=Tier.HEAD).values_list("pk", flat=True))
    warned = sum(case_sla_warn(case_id=pk, now=now) for pk in to_warn)
    escalated = sum(case_escalate(case_id=pk, now=now) is not None for pk in to_escalate)
    stuck = list(Case.objects.filter(status__in=ROUTABLE_STATUSES,
                                     last_submitted_at__lte=now - datetime.timedelta(seconds=ROUTING_GRACE_SECONDS))
                 .values_list("pk", "submission_round")[:500])
    for case_id, submission_round in stuck:
        route_case.delay(case_id, submission_round)
    if stuck:
        log.warning("case.routing_requeued", count=len(stuck))
    return {"warned": warned, "escalated": escalated, "requeued": len(stuck)}
