"""Calls any staff member starts: ringing the callees, answering, inviting more people in."""
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notification_send
from accounts.validators import normalize_mobile
from calls import conf, selectors
from calls.models import Call, CallEvent, CallInvitation, Participant
from calls.selectors import CallOver
from calls.services.common import (
    accept_invitation,
    lock_call_for,
    record_event,
    room_full_error,
    stop_ringing,
    tell_caller,
)
from calls.services.delivery import Outbox
from calls.services.lifecycle import end_call, expire_call
from core.errors import Conflict, Forbidden, NotFound, ServiceError
from core.logging import get_logger
from stations.models import Unit

log = get_logger(__name__)


def _ring_payload(call: Call, invitation: CallInvitation, caller) -> dict:
    return {
        "type": "ringing" if invitation.purpose == CallInvitation.Purpose.CALLEE else "call-invite",
        "call_id": str(call.pk),
        "unit_id": invitation.unit_id,
        "from": {"unit": call.host_unit.name, "unit_id": call.host_unit_id,
                 "caller": (caller.real_name or caller.username) if caller else None},
        "topic": call.topic,
        "case_id": call.case_id,
        "booking_id": call.booking_id,
        "rings_until": invitation.rings_until.isoformat(),
    }


def _ring(call: Call, invitation: CallInvitation, caller, now, outbox: Outbox):
    """Tell the callee at once: on-duty staff of a called unit, or the person; a resident offline gets an SMS."""
    payload = _ring_payload(call, invitation, caller)
    if invitation.unit_id:
        for user_id in selectors.on_duty_staff_ids(unit_id=invitation.unit_id):
            if user_id != getattr(caller, "pk", None):
                outbox.to_user(user_id, payload)
        return
    target = invitation.user
    online = selectors.resident_is_online(user=target, now=now)
    outbox.to_user(target.pk, payload)
    if target.is_resident:
        link = f"{getattr(settings, 'PUBLIC_BASE_URL', '')}/calls/{call.pk}/"
        notification_send(user=target, event_key=f"call:{call.pk}:ring:{target.pk}", kind="call_ringing",
                          title=_("医保视频来电"),
                          body=_("%(unit)s 正在与您视频通话，请登录后打开：%(link)s")
                          % {"unit": call.host_unit.name, "link": link},
                          link=link, sms=not online)
    else:
        notification_send(user=target, event_key=f"call:{call.pk}:invite:{target.pk}:{invitation.pk}",
                          kind="call_invite", title=_("邀请您加入视频通话"),
                          body=_("%(unit)s 邀请您加入视频通话。") % {"unit": call.host_unit.name},
                          link=f"/calls/{call.pk}/", sms=False)


def call_start(*, caller, unit_id=None, resident_id=None, resident_phone: str = "", resident_name: str = "",
               unit_ids=(), case_id=None, topic: str = "") -> Call:
    """A staff member calls a resident and/or units now, without a booking. Callees ring for CALL_RING_SECONDS."""
    if not caller.is_staff_member:
        raise Forbidden(_("只有服务机构的工作人员可以发起呼叫。"))
    host = selectors.caller_unit(user=caller, unit_id=unit_id)
    resident = None
    if resident_id:
        resident = User.objects.filter(pk=resident_id, role=User.Role.RESIDENT).first()
        if resident is None:
            raise NotFound(_("找不到该参保人。"))
    elif resident_phone:
        try:
            phone = normalize_mobile(resident_phone)
        except ValidationError as exc:
            raise ServiceError(exc.messages[0], code="phone_format")
        if not resident_name.strip():
            raise ServiceError(_("按手机号呼叫时请同时填写参保人姓名。"), code="missing_field")
        candidates = User.objects.filter(role=User.Role.RESIDENT, phone=phone, real_name=resident_name.strip())
        if host.kind not in selectors.CITY_KINDS:
            candidates = candidates.filter(home_county_id=host.county_id)
        resident = candidates.first()
        if resident is None:
            raise NotFound(_("未找到该手机号和姓名对应的本县区参保人。"))
    unit_ids = list(dict.fromkeys(int(u) for u in unit_ids or ()))
    units = list(Unit.objects.filter(pk__in=unit_ids, active=True))
    if len(units) != len(unit_ids):
        raise NotFound(_("找不到要呼叫的单位。"))
    if resident is None and not units:
        raise ServiceError(_("请指定要呼叫的参保人或单位。"), code="missing_field")
    if resident is not None and not selectors.unit_may_call_resident(caller=host, resident=resident):
        raise Forbidden(_("不能呼叫该参保人：%(rule)s") % {"rule": selectors.calling_rule_text(host)},
                        code="call_not_allowed")
    for unit in units:
        if not selectors.unit_may_call_unit(caller=host, callee=unit):
            raise Forbidden(_("不能呼叫“%(unit)s”：%(rule)s") % {"unit": unit.name,
                                                              "rule": selectors.calling_rule_text(host)},
                            code="call_not_allowed")
    if len(units) + (1 if resident else 0) + 1 > conf.max_participants():
        raise room_full_error()
    now = timezone.now()
    rings_until = now + timedelta(seconds=conf.ring_seconds())
    outbox = Outbox()
    with transaction.atomic():
        call = Call.objects.create(kind=Call.Kind.AD_HOC, host_unit=host, created_by=caller,
                                   status=Call.Status.RINGING, case_id=case_id, topic=topic[:120],
                                   rings_until=rings_until)
        invitations = []
        if resident is not None:
            invitations.append(CallInvitation.objects.create(call=call, user=resident, invited_by=caller,
                                                             rings_until=rings_until))
        for unit in units:
            invitations.append(CallInvitation.objects.create(call=call, unit=unit, invited_by=caller,
                                                             rings_until=rings_until))
        for invitation in invitations:
            record_event(call, CallEvent.Kind.RANG, at=now, user=invitation.user, unit=invitation.unit)
            _ring(call, invitation, caller, now, outbox)
        outbox.commit()
    log.info("call.started", call_id=str(call.pk), host_unit=host.pk, callees=len(invitations))
    return call


def call_answer(*, call_id, user, accept: bool) -> CallInvitation:
    """A callee accepts or declines. For a unit, the first colleague to accept takes the call."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = lock_call_for(call_id, user)
        expire_call(call, now, outbox)
        found = selectors.invitation_for(call=call, user=user)
        if found is None:
            raise Forbidden(_("您不在此通话的呼叫对象中。"))
        invitation = (CallInvitation.objects.select_for_update(of=("self",)).select_related("unit", "user")
                      .get(pk=found.pk))
        if invitation.status != CallInvitation.Status.RINGING:
            wanted = CallInvitation.Status.ACCEPTED if accept else CallInvitation.Status.DECLINED
            if invitation.status == wanted and invitation.answered_by_id == user.pk:
                outbox.commit()
                return invitation
            if invitation.status == CallInvitation.Status.MISSED or call.status == Call.Status.MISSED:
                outbox.commit()
                raise CallOver(_("呼叫已超时未接听。"))
            if invitation.status == CallInvitation.Status.ACCEPTED:
                raise Conflict(_("该呼叫已由其他同事接听。"))
            raise Conflict(_("该呼叫已被拒接。"))
        if call.is_over:
            raise CallOver(_("此通话已结束。"))
        if accept:
            accept_invitation(call, invitation, user, now, outbox)
        else:
            invitation.status = CallInvitation.Status.DECLINED
            invitation.answered_by = user
            invitation.answered_at = now
            invitation.save(update_fields=["status", "answered_by", "answered_at"])
            record_event(call, CallEvent.Kind.DECLINED, at=now, user=user, unit=invitation.unit)
            stop_ringing(invitation, outbox, reason="declined")
            tell_caller(call, invitation, now, outbox)
            open_invitations = CallInvitation.objects.filter(call=call, status__in=[
                CallInvitation.Status.RINGING, CallInvitation.Status.ACCEPTED]).exists()
            if call.status == Call.Status.RINGING and not open_invitations:
                end_call(call, now, outbox, status=Call.Status.ENDED, reason="declined")
        outbox.commit()
    return invitation


def call_invite(*, call_id, actor, user_id=None, unit_id=None) -> CallInvitation:
    """Someone in the call pulls a reviewer (by account) or a unit's on-duty staff into it."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = lock_call_for(call_id, actor)
        expire_call(call, now, outbox)
        in_room = Participant.objects.filter(call=call, user=actor, state=Participant.State.ADMITTED).exists()
        if not actor.is_staff_member or not (in_room or selectors.may_admit(call=call, user=actor)):
            raise Forbidden(_("只有通话中的工作人员可以邀请他人加入。"))
        if call.is_over:
            raise CallOver(_("此通话已结束。"))
        if selectors.present_participants(call_id=call.pk, now=now).count() >= conf.max_participants():
            raise room_full_error()
        host = call.host_unit
        if user_id:
            target = User.objects.filter(pk=user_id, is_active=True).first()
            if target is None:
                raise NotFound(_("找不到该工作人员。"))
            if not target.is_staff_member:
                raise ServiceError(_("只能邀请工作人员加入通话。"), code="not_staff")
            target_units = Unit.objects.filter(memberships__user=target)
            if not any(u.pk == host.pk or selectors.unit_may_call_unit(caller=host, callee=u) for u in target_units):
                raise Forbidden(_("不能邀请该工作人员：%(rule)s") % {"rule": selectors.calling_rule_text(host)},
                                code="call_not_allowed")
            lookup = {"user": target}
        elif unit_id:
            unit = Unit.objects.filter(pk=unit_id, active=True).first()
            if unit is None:
                raise NotFound(_("找不到要邀请的单位。"))
            if not selectors.unit_may_call_unit(caller=host, callee=unit):
                raise Forbidden(_("不能邀请“%(unit)s”：%(rule)s") % {"unit": unit.name,
                                                                  "rule": selectors.calling_rule_text(host)},
                                code="call_not_allowed")
            lookup = {"unit": unit}
        else:
            raise ServiceError(_("请指定要邀请的工作人员或单位。"), code="missing_field")
        rings_until = now + timedelta(seconds=conf.ring_seconds())
        invitation = CallInvitation.objects.select_for_update().filter(call=call, **lookup).first()
        if invitation is None:
            invitation = CallInvitation.objects.create(call=call, purpose=CallInvitation.Purpose.INVITE,
                                                       invited_by=actor, rings_until=rings_until, **lookup)
        elif invitation.status in (CallInvitation.Status.DECLINED, CallInvitation.Status.MISSED):
            invitation.status = CallInvitation.Status.RINGING
            invitation.purpose = CallInvitation.Purpose.INVITE
            invitation.rings_until = rings_until
            invitation.answered_by = None
            invitation.answered_at = None
            invitation.save()
        else:
            raise Conflict(_("已经邀请过，请等待对方加入。"))
        record_event(call, CallEvent.Kind.INVITED, at=now, user=invitation.user, unit=invitation.unit, by=actor.pk)
        _ring(call, invitation, actor, now, outbox)
        outbox.commit()
    return invitation
