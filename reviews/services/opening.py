"""Opening a case (from a booking or for a walk-in resident), her consent, and editing the draft: form and materials."""
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notification_send
from bookings.models import Booking, BookingStatus, Material, ServiceItem
from core.errors import Conflict, Forbidden, NotFound, ServiceError
from core.logging import get_logger
from reviews import selectors
from reviews.models import Case, CaseEvent, CaseMaterial, CaseStatus, ConsentVia
from reviews.services.common import _agent_unit_ids, _record
from reviews.services.forms import case_form_clean

log = get_logger(__name__)


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
