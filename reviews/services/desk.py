"""The reviewer's desk: claim, release, and decide (sealed approvals and rejections, requests for more)."""
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notification_send
from core.errors import Conflict, Forbidden, ServiceError
from core.logging import get_logger
from reviews import sealing, selectors
from reviews.models import OPEN_REVIEW_STATUSES, Case, CaseEvent, CaseStatus
from reviews.services.common import Decision, _record

log = get_logger(__name__)


def _require_reviewer(case: Case, user: User) -> None:
    if not selectors.is_reviewer_of(user=user, unit_id=case.unit_id):
        raise Forbidden(_("您不是该案件审核机构的审核人。"))


@transaction.atomic
def case_claim(*, case: Case, reviewer: User) -> Case:
    """Take a case from the unit's queue (or start on one assigned to me)."""
    _require_reviewer(case, reviewer)
    now = timezone.now()
    claimed = (Case.objects.filter(pk=case.pk, unit_id=case.unit_id, status__in=OPEN_REVIEW_STATUSES)
               .filter(Q(assignee__isnull=True) | Q(assignee=reviewer))
               .update(assignee=reviewer, status=CaseStatus.IN_REVIEW, updated_at=now))
    if not claimed:
        raise Conflict(_("该案件已由他人领取，或当前状态不能领取。"), code="claim_conflict")
    from_status = case.status
    case.refresh_from_db()
    _record(case_id=case.pk, action=CaseEvent.Action.CLAIMED, from_status=from_status, to_status=CaseStatus.IN_REVIEW,
            actor=reviewer, unit_id=case.unit_id)
    return case


@transaction.atomic
def case_release(*, case: Case, reviewer: User) -> Case:
    """Put my case back into the unit's queue."""
    _require_reviewer(case, reviewer)
    released = (Case.objects.filter(pk=case.pk, assignee=reviewer, status__in=OPEN_REVIEW_STATUSES)
                .update(assignee=None, status=CaseStatus.ASSIGNED, updated_at=timezone.now()))
    if not released:
        raise Conflict(_("只能退回由您办理中的案件。"), code="release_conflict")
    from_status = case.status
    case.refresh_from_db()
    _record(case_id=case.pk, action=CaseEvent.Action.RELEASED, from_status=from_status, to_status=CaseStatus.ASSIGNED,
            actor=reviewer, unit_id=case.unit_id)
    return case


def _open_case_for_decision(case: Case, reviewer: User) -> None:
    if case.status not in OPEN_REVIEW_STATUSES:
        raise Conflict(_("案件当前状态为“%(status)s”，不能作出决定。") % {"status": case.get_status_display()},
                       code="invalid_transition")
    if case.assignee_id not in (None, reviewer.pk):
        raise Conflict(_("该案件由其他审核人办理中。"), code="claim_conflict")


def case_decision_confirmation(*, case: Case, reviewer: User, decision: str, reason: str = "") -> dict:
    """Step one of a sealed decision: fix the record to be sealed and send the reviewer a confirmation code."""
    _require_reviewer(case, reviewer)
    reason = (reason or "").strip()
    if decision == Decision.REJECT and not reason:
        raise ServiceError(_("不予批准时请填写理由。"), code="reason_required")
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("item", "unit", "resident").get(pk=case.pk)
        _open_case_for_decision(case, reviewer)
        pending = sealing.confirmation_request(case=case, reviewer=reviewer, decision=decision, reason=reason)
        Case.objects.filter(pk=case.pk).update(pending_decision=pending, updated_at=timezone.now())
    return {"decision": decision, "summary": pending["summary"], "sent_to": pending["sent_to"]}


def _sealed_decision(*, case: Case, reviewer: User, decision: str, reason: str,
                     confirmation_code: str) -> tuple[str, str]:
    """Seal an approval or rejection; returns the seal reference and the reason sealed (with a code, the one given
    when the code was asked for, unless another is given: then the code is stale). Sealed in signing's own
    transaction, before the case is locked: a wrong code counts as a failed attempt even though the decision is
    refused. signing seals a case at most once."""
    case = Case.objects.select_related("item", "unit", "resident").get(pk=case.pk)
    _open_case_for_decision(case, reviewer)
    pending = case.pending_decision or {}
    if confirmation_code and pending.get("record"):
        reason = reason or pending.get("reason", "")
        if reason != pending.get("reason", ""):
            raise ServiceError(_("决定内容与获取确认码时不一致，请重新获取确认码。"), code="confirmation_stale")
    if decision == Decision.REJECT and not reason:
        raise ServiceError(_("不予批准时请填写理由。"), code="reason_required")
    return sealing.seal_decision(case=case, reviewer=reviewer, decision=decision,
                                 confirmation_code=confirmation_code), reason


def _request_more(case: Case, *, materials: list[str] | None, reason: str) -> str:
    """Ask for more materials (codes of the item's checklist); returns the timeline comment."""
    codes = list(dict.fromkeys(materials or []))
    if not codes:
        raise ServiceError(_("请指明需要补充的材料。"), code="invalid")
    known = dict(case.item.requirements.values_list("code", "name"))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ServiceError(_("材料编码不属于该事项：%(codes)s") % {"codes": "、".join(unknown)}, code="invalid")
    case.status = CaseStatus.NEEDS_MORE_INFO
    case.requested_materials = codes
    case.decision_reason = reason
    comment = _("请补充：%(names)s") % {"names": "、".join(known[c] for c in codes)}
    return f"{comment}。{reason}" if reason else comment


def _decide(case: Case, *, reviewer: User, decision: str, reason: str, seal_reference: str) -> None:
    """Approve or reject: the decision, its time taken in working days and whether it met the promise."""
    now = timezone.now()
    case.status = CaseStatus.APPROVED if decision == Decision.APPROVE else CaseStatus.REJECTED
    case.decision_reason = reason
    case.decided_at = now
    case.decided_by = reviewer
    case.processing_days = round(selectors.working_days_between(
        unit_id=case.unit_id, start=case.submitted_at or case.created_at, end=now), 4)
    case.met_deadline = case.promised_due_at is None or now <= case.promised_due_at
    case.seal_reference = seal_reference


def case_decide(*, case: Case, reviewer: User, decision: str, reason: str = "",
                materials: list[str] | None = None, confirmation_code: str = "") -> Case:
    """Approve, reject (with a reason) or ask for more materials (naming which). Approvals and rejections are
    sealed through reviews.sealing; the case must be mine or in my unit's queue."""
    if decision not in Decision.ALL:
        raise ServiceError(_("决定类型不正确。"), code="invalid")
    reason = (reason or "").strip()
    _require_reviewer(case, reviewer)
    seal_reference = ""
    if decision in (Decision.APPROVE, Decision.REJECT):
        seal_reference, reason = _sealed_decision(case=case, reviewer=reviewer, decision=decision, reason=reason,
                                                  confirmation_code=confirmation_code)
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("item", "unit").get(pk=case.pk)
        if not seal_reference:
            _open_case_for_decision(case, reviewer)
        elif case.status not in OPEN_REVIEW_STATUSES:
            raise Conflict(_("案件已办结。"), code="invalid_transition")
        from_status = case.status
        case.assignee = reviewer
        if decision == Decision.REQUEST_MORE:
            comment, action = _request_more(case, materials=materials, reason=reason), CaseEvent.Action.REQUESTED_MORE
        else:
            _decide(case, reviewer=reviewer, decision=decision, reason=reason, seal_reference=seal_reference)
            comment, action = reason, CaseEvent.Action.DECIDED
        case.pending_decision = {}
        case.save()
        _record(case_id=case.pk, action=action, from_status=from_status, to_status=case.status, actor=reviewer,
                unit_id=case.unit_id, comment=comment)
        _notify_resident(case=case)
    log.info("case.decided", case_id=case.pk, decision=decision, sealed=bool(seal_reference))
    return case


def _notify_resident(*, case: Case) -> None:
    titles = {
        CaseStatus.APPROVED: _("您的申请已批准"),
        CaseStatus.REJECTED: _("您的申请未获批准"),
        CaseStatus.NEEDS_MORE_INFO: _("请补充材料"),
    }
    count = case.events.count()
    notification_send(user=case.resident, event_key=f"case:{case.pk}:status:{case.status}:{count}",
                      kind="case_status", title=titles[case.status], body=case.item.name,
                      link=f"/cases/{case.pk}/", sms=True)
