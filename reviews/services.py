"""Writes to cases: open, submit, route, claim, release, decide, warn and escalate. One transaction each."""
import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.notifications import notification_send
from bookings.models import Booking, BookingStatus, Material, ServiceItem
from core.errors import Conflict, Forbidden, NotFound, ServiceError
from core.logging import get_logger
from reviews import routing, sealing, selectors
from reviews.models import (
    OPEN_REVIEW_STATUSES,
    ROUTABLE_STATUSES,
    Case,
    CaseEvent,
    CaseMaterial,
    CaseRouting,
    CaseStatus,
    ConsentVia,
    Escalation,
    Tier,
)

log = get_logger(__name__)

REASON_TEXT = {
    routing.Reason.TOWNSHIP_STATION: gettext_lazy("乡镇事项，由参保人所在乡镇服务站审核"),
    routing.Reason.TOWNSHIP_UNKNOWN: gettext_lazy("参保人乡镇未知，上交县区工作站"),
    routing.Reason.TOWNSHIP_NO_STATION: gettext_lazy("所在乡镇无服务站，上交县区工作站"),
    routing.Reason.TOWNSHIP_NO_REVIEWER: gettext_lazy("乡镇服务站无在岗审核人，上交县区工作站"),
    routing.Reason.TOWNSHIP_NO_SEAL: gettext_lazy("乡镇服务站无电子印章，上交县区工作站"),
    routing.Reason.COUNTY_WORKSTATION: gettext_lazy("县级事项，由参保人所在县区工作站审核"),
    routing.Reason.COUNTY_UNKNOWN: gettext_lazy("参保人县区未知，上交市中心业务科室"),
    routing.Reason.COUNTY_NO_WORKSTATION: gettext_lazy("县区无工作站，上交市中心业务科室"),
    routing.Reason.COUNTY_NO_SEAL: gettext_lazy("县区工作站电子印章不可用，上交市中心业务科室"),
    routing.Reason.CITY_DEPARTMENT: gettext_lazy("市级事项，由主管业务科室审核"),
    routing.Reason.CITY_CENTRE: gettext_lazy("市级事项，无主管科室，由市医保中心审核"),
    routing.Reason.CITY_NO_SEAL: gettext_lazy("主管业务科室电子印章不可用，由市医保中心审核"),
    routing.Reason.RESUBMITTED: gettext_lazy("补充材料后退回原审核机构"),
    routing.Reason.RESUBMITTED_NO_SEAL: gettext_lazy("原审核机构电子印章不可用，补充材料后重新分派"),
    routing.Reason.ESCALATED: gettext_lazy("超过办理期限，升级至上一级"),
    routing.Reason.ESCALATED_NO_SEAL: gettext_lazy("超过办理期限，上一级电子印章不可用，升级至再上一级"),
    routing.Reason.ESCALATED_TO_HEAD: gettext_lazy("超过办理期限，升级至单位负责人"),
    routing.Reason.ESCALATED_TO_HEAD_NO_SEAL: gettext_lazy("超过办理期限，上级单位电子印章均不可用，升级至单位负责人"),
}


# A submitted case still unrouted after this long had its routing message lost: the sweep queues it again.
ROUTING_GRACE_SECONDS = 120


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_MORE = "request_more"
    ALL = (APPROVE, REJECT, REQUEST_MORE)


def _reason_text(reason: str) -> str:
    try:
        return str(REASON_TEXT[routing.Reason(reason)])
    except (KeyError, ValueError):
        return reason


def _record(*, case_id: int, action: str, from_status: str, to_status: str, actor=None, unit_id=None,
            comment: str = "") -> CaseEvent:
    return CaseEvent.objects.create(case_id=case_id, action=action, from_status=from_status, to_status=to_status,
                                    actor=actor, unit_id=unit_id, comment=comment[:500])


# --- The form ------------------------------------------------------------------------------

def case_form_clean(*, form_fields: list | None, form_data: dict | None, require_all: bool) -> dict:
    """Check the answers against the item's form fields (ServiceItem.form_fields); returns the cleaned answers.

    Unknown fields, a choice outside the list, a malformed date or number are refused at once;
    missing required fields only when `require_all` (a draft may be incomplete, a submission not).
    """
    form_data = form_data or {}
    if not isinstance(form_data, dict):
        raise ServiceError(_("表单数据格式不正确。"), code="invalid_form")
    fields = {f["name"]: f for f in form_fields or []}
    unknown = sorted(set(form_data) - set(fields))
    if unknown:
        raise ServiceError(_("表单中有未知字段：%(names)s") % {"names": "、".join(unknown)}, code="invalid_form",
                           extra={"fields": unknown})
    cleaned = {}
    for name, spec in fields.items():
        value = form_data.get(name)
        label = spec.get("label", name)
        if value in (None, ""):
            if spec.get("required") and require_all:
                raise ServiceError(_("请填写“%(label)s”。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
            continue
        kind = spec.get("type", "text")
        if kind == "choice":
            if value not in spec.get("choices", []):
                raise ServiceError(_("“%(label)s”的取值不在可选范围内。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
        elif kind == "date":
            try:
                value = datetime.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise ServiceError(_("“%(label)s”应为日期（年-月-日）。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
        elif kind == "number":
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ServiceError(_("“%(label)s”应为数字。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
            if number != number or number in (float("inf"), float("-inf")):
                raise ServiceError(_("“%(label)s”应为数字。") % {"label": label}, code="invalid_form",
                                   extra={"field": name})
            value = int(number) if number.is_integer() else number
        else:
            value = str(value).strip()[:500]
        cleaned[name] = value
    return cleaned


# --- Opening and submitting ------------------------------------------------------------------

def _agent_unit_ids(user) -> set[int]:
    from stations.selectors import user_unit_ids

    return user_unit_ids(user=user, agent=True)


def case_open(*, actor: User, booking_id: int | None = None, resident_id: int | None = None,
              resident_phone: str = "", item_id: int | None = None, unit_id: int | None = None,
              form_data: dict | None = None) -> Case:
    """Staff open a case: from a booking of their unit, or for a walk-in resident named by id or phone."""
    if not actor.is_staff_member:
        raise Forbidden(_("只有工作人员可以建立案件。"))
    if booking_id:
        booking = Booking.objects.select_related("resident", "item").filter(pk=booking_id).first()
        if booking is None:
            raise NotFound(_("找不到该预约。"))
        return case_create(actor=actor, booking=booking, form_data=form_data)
    residents = User.objects.filter(role=User.Role.RESIDENT)
    if resident_id:
        resident = residents.filter(pk=resident_id).first()
    elif resident_phone:
        resident = residents.filter(phone=resident_phone).first()
    else:
        resident = None
    if resident is None:
        raise NotFound(_("找不到该参保人。"))
    item = ServiceItem.objects.filter(pk=item_id).first() if item_id else None
    if item is None:
        raise ServiceError(_("请选择服务事项。"), code="invalid")
    return case_create(actor=actor, resident=resident, item=item, unit_id=unit_id, form_data=form_data)


@transaction.atomic
def case_create(*, actor: User, booking: Booking | None = None, resident: User | None = None,
                item: ServiceItem | None = None, unit_id: int | None = None, form_data: dict | None = None,
                consent_via: str = "") -> Case:
    """Open a case from a booking, or for a walk-in resident at one of the agent's units. A walk-in case shows
    the agent her masked name only until she consents (`case_consent_grant`), unless `consent_via` says the
    case comes from a call with her at this unit."""
    agent_units = _agent_unit_ids(actor)
    if booking is not None:
        if booking.unit_id not in agent_units:
            raise NotFound(_("找不到该预约。"))
        if hasattr(booking, "case"):
            raise Conflict(_("该预约已建立案件。"), code="case_exists", extra={"case_id": booking.case.pk})
        if booking.status in (BookingStatus.CANCELLED, BookingStatus.NO_SHOW):
            raise Conflict(_("该预约已取消或未到，不能建立案件。"), code="invalid_transition")
        resident, item, opened_unit_id = booking.resident, booking.item, booking.unit_id
    else:
        if resident is None or item is None:
            raise ServiceError(_("请提供预约，或提供参保人和服务事项。"), code="invalid")
        if resident.role != User.Role.RESIDENT:
            raise ServiceError(_("只能为参保人建立案件。"), code="invalid")
        if unit_id is None and len(agent_units) == 1:
            unit_id = next(iter(agent_units))
        if unit_id not in agent_units:
            raise Forbidden(_("您不是该机构的窗口坐席。"))
        opened_unit_id = unit_id
    if not item.active:
        raise ServiceError(_("该服务事项已停用。"), code="item_inactive")
    from stations.models import Unit

    opened_unit = Unit.objects.get(pk=opened_unit_id)
    county_id = resident.home_county_id or opened_unit.county_id
    township_id = resident.home_township_id if resident.home_county_id else opened_unit.township_id
    case = Case.objects.create(
        booking=booking, item=item, resident=resident, opened_unit=opened_unit, opened_by=actor,
        county_id=county_id, township_id=township_id,
        form_data=case_form_clean(form_fields=item.form_fields, form_data=form_data, require_all=False))
    _record(case_id=case.pk, action=CaseEvent.Action.CREATED, from_status="", to_status=CaseStatus.DRAFT, actor=actor,
            unit_id=opened_unit_id)
    if booking is None:
        if consent_via:
            _consent_record(case=case, actor=actor, via=consent_via)
        else:
            _ask_consent(case=case)
    log.info("case.created", case_id=case.pk, item=item.code, unit_id=opened_unit_id)
    return case


def _ask_consent(*, case: Case) -> None:
    """Ask her, on her phone (SMS and the in-app notice with its button), to let the opening unit see her data."""
    notification_send(user=case.resident, event_key=f"case:{case.pk}:consent", kind="case_consent",
                      title=_("请确认授权"), link="/me/bookings/#consent", sms=True,
                      body=_("%(unit)s为您受理“%(item)s”，需要查看您的个人信息和已上传的材料。如是您本人在办理，"
                             "请打开“我的预约”点“同意”；如不是，请勿理会。") % {
                          "unit": case.opened_unit.name, "item": case.item.name})


def _consent_record(*, case: Case, actor: User, via: str) -> None:
    case.consent_at, case.consent_via = timezone.now(), via
    case.save(update_fields=["consent_at", "consent_via", "updated_at"])
    _record(case_id=case.pk, action=CaseEvent.Action.CONSENTED, from_status=case.status, to_status=case.status,
            actor=actor, unit_id=case.opened_unit_id, comment=str(ConsentVia(via).label))
    log.info("case.consented", case_id=case.pk, via=via)


@transaction.atomic
def case_consent_grant(*, case: Case, actor: User) -> Case:
    """Record the resident's consent to the opening unit seeing her personal data through this walk-in case:
    given by herself (or whoever booked for her) from her own phone, or in a live call with the agent."""
    case = Case.objects.select_for_update(of=("self",)).select_related("booking").get(pk=case.pk)
    if case.resident_data_open:
        return case
    if actor.pk == case.resident_id:
        via = ConsentVia.RESIDENT
    elif (case.opened_unit_id in _agent_unit_ids(actor)
          and selectors.in_live_call_together(resident_id=case.resident_id, staff_id=actor.pk,
                                              unit_id=case.opened_unit_id)):
        via = ConsentVia.LIVE_CALL
    else:
        raise Forbidden(_("需要参保人本人在手机上确认授权，或在与您的视频通话中授权。"), code="consent_required")
    _consent_record(case=case, actor=actor, via=via)
    return case


def _may_edit(case: Case, user: User) -> bool:
    if user.pk == case.resident_id or (case.booking_id and user.pk == case.booking.booked_by_id):
        return case.status == CaseStatus.NEEDS_MORE_INFO
    return case.opened_unit_id in _agent_unit_ids(user)


@transaction.atomic
def case_form_update(*, case: Case, actor: User, form_data: dict) -> Case:
    if case.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_MORE_INFO) or not _may_edit(case, actor):
        raise Conflict(_("案件当前状态不能修改表单。"), code="invalid_transition")
    case.form_data = case_form_clean(form_fields=case.item.form_fields,
                                     form_data={**case.form_data, **(form_data or {})}, require_all=False)
    case.save(update_fields=["form_data", "updated_at"])
    return case


@transaction.atomic
def case_material_attach(*, case: Case, actor: User, material: Material) -> CaseMaterial:
    """Link one of the resident's uploaded materials to the case (the file stays in bookings)."""
    if case.status not in (CaseStatus.DRAFT, CaseStatus.NEEDS_MORE_INFO) or not _may_edit(case, actor):
        raise Conflict(_("案件当前状态不能添加材料。"), code="invalid_transition")
    if material.booking.resident_id != case.resident_id:
        raise NotFound(_("找不到该材料。"))
    if (actor.pk != case.resident_id and not case.consent_at
            and material.booking.unit_id not in _agent_unit_ids(actor)):
        # Her upload for another unit's booking: hers to share, not ours to take.
        raise Forbidden(_("该材料属于其他机构的预约，需要参保人授权后才能添加。"), code="consent_required")
    if material.booking_id == case.booking_id:
        raise Conflict(_("该材料已在案件中。"), code="material_exists")
    try:
        with transaction.atomic():
            link = CaseMaterial.objects.create(case=case, material=material, added_by=actor)
    except IntegrityError:
        raise Conflict(_("该材料已在案件中。"), code="material_exists")
    _record(case_id=case.pk, action=CaseEvent.Action.MATERIAL_ADDED, from_status=case.status, to_status=case.status,
            actor=actor, comment=material.requirement.name if material.requirement else "")
    return link


def _requested_since(case: Case) -> datetime.datetime:
    event = case.events.filter(action=CaseEvent.Action.REQUESTED_MORE).order_by("-at", "-pk").first()
    return event.at if event else case.created_at


def _may_submit(case: selectors.CaseToSubmit, actor: User) -> bool:
    """_may_edit over the submission facts: the resident (or whoever booked for them) only when asked for
    more materials, otherwise an agent of the opening unit."""
    if actor.pk == case.resident_id or (case.booked_by_id is not None and actor.pk == case.booked_by_id):
        return case.status == CaseStatus.NEEDS_MORE_INFO
    return case.actor_is_agent


def _missing_mandatory(case_id: int) -> ServiceError:
    """The error naming the mandatory materials missing (read only when some are: a refused submission)."""
    missing = selectors.case_missing_mandatory(case=Case.objects.select_related("item").get(pk=case_id))
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
            raise _missing_mandatory(case.pk)
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


# --- Routing ---------------------------------------------------------------------------------

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


def _unit_reviewer_ids(unit_id: int) -> list[int]:
    from stations.models import StaffMembership

    return list(StaffMembership.objects.filter(unit_id=unit_id, is_reviewer=True, on_duty=True)
                .values_list("user_id", flat=True))


def _notify_assigned(*, case_id: int, item_name: str, recipient_ids: list[int], key: str) -> None:
    # No user is read: these notices send no SMS (notification_send reads the phone only for one) and the
    # recipients are staff memberships' users.
    for user_id in dict.fromkeys(recipient_ids):
        notification_send(user=User(pk=user_id), event_key=f"{key}:assigned:{user_id}", kind="case_assigned",
                          title=_("新案件待审核"), body=f"{item_name} #{case_id}", link=f"/reviews/cases/{case_id}/")


# --- The reviewer's desk ---------------------------------------------------------------------

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
        case = Case.objects.select_related("item", "unit", "resident").get(pk=case.pk)
        _open_case_for_decision(case, reviewer)
        pending = case.pending_decision or {}
        if confirmation_code and pending.get("record"):
            reason = reason or pending.get("reason", "")
            if reason != pending.get("reason", ""):
                raise ServiceError(_("决定内容与获取确认码时不一致，请重新获取确认码。"), code="confirmation_stale")
        if decision == Decision.REJECT and not reason:
            raise ServiceError(_("不予批准时请填写理由。"), code="reason_required")
        # Sealed in signing's own transaction, before the case is locked: a wrong code counts as a failed
        # attempt even though the decision is refused. signing seals a case at most once.
        seal_reference = sealing.seal_decision(case=case, reviewer=reviewer, decision=decision,
                                               confirmation_code=confirmation_code)
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("item", "unit").get(pk=case.pk)
        if not seal_reference:
            _open_case_for_decision(case, reviewer)
        elif case.status not in OPEN_REVIEW_STATUSES:
            raise Conflict(_("案件已办结。"), code="invalid_transition")
        now = timezone.now()
        from_status = case.status
        case.assignee = reviewer
        if decision == Decision.REQUEST_MORE:
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
            if reason:
                comment = f"{comment}。{reason}"
            action = CaseEvent.Action.REQUESTED_MORE
        else:
            case.status = CaseStatus.APPROVED if decision == Decision.APPROVE else CaseStatus.REJECTED
            case.decision_reason = reason
            case.decided_at = now
            case.decided_by = reviewer
            case.processing_days = round(selectors.working_days_between(
                unit_id=case.unit_id, start=case.submitted_at or case.created_at, end=now), 4)
            case.met_deadline = case.promised_due_at is None or now <= case.promised_due_at
            case.seal_reference = seal_reference
            comment = reason
            action = CaseEvent.Action.DECIDED
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


# --- SLA ---------------------------------------------------------------------------------------

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
