"""Submitting a case (and resubmitting after more materials were asked for); routing is queued after the commit."""
import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from bookings.models import MaterialRequirement
from core.errors import Conflict, Forbidden, NotFound, ServiceError
from core.logging import get_logger
from reviews import selectors
from reviews.models import Case, CaseEvent, CaseStatus
from reviews.services.common import _record
from reviews.services.forms import case_form_clean

log = get_logger(__name__)


def _requested_since(case: Case) -> datetime.datetime:
    event = case.events.filter(action=CaseEvent.Action.REQUESTED_MORE).order_by("-at", "-pk").first()
    return event.at if event else case.created_at


def _may_submit(case: selectors.CaseToSubmit, actor: User) -> bool:
    """_may_edit over the submission facts: the resident (or whoever booked for them) only when asked for
    more materials, otherwise an agent of the opening unit."""
    if actor.pk == case.resident_id or (case.booked_by_id is not None and actor.pk == case.booked_by_id):
        return case.status == CaseStatus.NEEDS_MORE_INFO
    return case.actor_is_agent


def _missing_mandatory(missing: list[MaterialRequirement]) -> ServiceError:
    """The error naming the mandatory materials missing."""
    return ServiceError(_("缺少必需材料：%(names)s") % {"names": "、".join(r.name for r in missing)},
                        code="missing_materials", extra={"missing": [r.code for r in missing]})


def _check_requested_arrived(case_id: int) -> None:
    case = Case.objects.select_related("item").get(pk=case_id)
    still_missing = selectors.case_missing_requested(case=case, since=_requested_since(case))
    if still_missing:
        raise ServiceError(_("尚未补充要求的材料：%(names)s") % {"names": "、".join(r.name for r in still_missing)},
                           code="missing_materials", extra={"missing": [r.code for r in still_missing]})


def case_submit(*, case: Case, actor: User) -> Case:
    """Submit a draft (or resubmit after more materials were asked for) and queue its routing after commit.
    Returns `case` with the submission's fields set."""
    from reviews.tasks import route_case

    with transaction.atomic():
        facts = selectors.case_to_submit(case_id=case.pk, actor_id=actor.pk)  # locks the case
        if facts is None:
            raise NotFound(_("找不到该案件。"))
        if facts.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_MORE_INFO):
            raise Conflict(_("案件当前状态为“%(status)s”，不能提交。") % {"status": CaseStatus(facts.status).label},
                           code="invalid_transition")
        if not _may_submit(facts, actor):
            raise Forbidden(_("您无权提交该案件。"))
        if not facts.resident_data_open:
            raise Forbidden(_("现场受理的案件需要参保人授权后才能提交。"), code="consent_required")
        case_form_clean(form_fields=facts.form_fields, form_data=facts.form_data, require_all=True)
        if facts.mandatory_missing:
            raise _missing_mandatory(facts.mandatory_missing)
        if facts.status == CaseStatus.NEEDS_MORE_INFO:
            _check_requested_arrived(case.pk)
        now = timezone.now()
        fields = {"status": CaseStatus.SUBMITTED if facts.status == CaseStatus.DRAFT else CaseStatus.RESUBMITTED,
                  "submission_round": facts.submission_round + 1, "last_submitted_at": now,
                  "materials_count": facts.materials_count, "updated_at": now}
        if facts.first_submission:
            fields["submitted_at"] = now
        Case.objects.filter(pk=case.pk).update(**fields)
        for name, value in fields.items():
            setattr(case, name, value)
        _record(case_id=case.pk, action=CaseEvent.Action.SUBMITTED, from_status=facts.status, to_status=case.status,
                actor=actor)
        case_id, submission_round = case.pk, case.submission_round
        transaction.on_commit(lambda: route_case.delay(case_id, submission_round))
    log.info("case.submitted", case_id=case.pk, round=case.submission_round)
    return case
