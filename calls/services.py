"""Writes to calls: the room (join, admit, leave, hang up), ringing and answering, invitations, the sweep.

Every function is one transaction that locks the call row first (fixed lock order: call, then its rows),
records what happened in CallEvent, and queues the socket messages it causes; they leave after the commit.
"""
from datetime import timedelta

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.notifications import notification_send
from accounts.validators import normalize_mobile
from bookings.models import BookingStatus
from bookings.services import BOOKING_TRANSITIONS, booking_transition
from calls import conf, selectors
from calls.models import Call, CallEvent, CallInvitation, InboxSocket, Participant
from calls.selectors import CallOver, participant_public
from config.errors import Conflict, Forbidden, NotFound, ServiceError
from config.logging import get_logger
from stations.models import StaffMembership, Unit

log = get_logger(__name__)


def booking_call_create(*, booking, new_booking: bool = False) -> Call:
    """The one call of a booked session; call inside the booking's transaction. A booking inserted in this very
    transaction has no call yet (`new_booking`): one INSERT then, not get_or_create's read and savepoint."""
    fields = {"kind": Call.Kind.BOOKED, "host_unit_id": booking.unit_id}
    if new_booking:
        return Call.objects.create(booking=booking, **fields)
    call, _created = Call.objects.get_or_create(booking=booking, defaults=fields)
    return call


# --- Delivery of socket messages ------------------------------------------------------------------

def user_group(user_id) -> str:
    return f"user.{user_id}"


def unit_group(unit_id) -> str:
    return f"unit.{unit_id}"


class Outbox:
    """Socket messages caused by a write; delivered after the transaction commits, never for a rollback."""

    def __init__(self):
        self.items: list[tuple[str, str, dict]] = []

    def to_channel(self, channel_name: str | None, payloads: list[dict], *, call_id=None, peers: dict | None = None,
                   admitted: bool | None = None, close: int | None = None):
        if not channel_name:
            return
        message = {"type": "room.send", "call_id": str(call_id) if call_id else None, "payloads": payloads}
        if peers is not None:
            message["peers"] = peers
        if admitted is not None:
            message["admitted"] = admitted
        if close is not None:
            message["close"] = close
        self.items.append(("send", channel_name, message))

    def to_user(self, user_id, payload: dict):
        self.items.append(("group", user_group(user_id), {"type": "inbox.send", "payload": payload}))

    def to_unit(self, unit_id, payload: dict):
        self.items.append(("group", unit_group(unit_id), {"type": "inbox.send", "payload": payload}))

    def commit(self):
        items, self.items = self.items, []
        if items:
            transaction.on_commit(lambda: deliver(items))


def deliver(items):
    layer = get_channel_layer()

    async def run():
        for kind, target, message in items:
            try:
                if kind == "send":
                    await layer.send(target, message)
                else:
                    await layer.group_send(target, message)
            except ChannelFull:
                log.warning("calls.channel_full", target=target, message_type=message.get("type"))

    async_to_sync(run)()


# --- Helpers --------------------------------------------------------------------------------------

def _lock_call(call_id) -> Call:
    try:
        return (Call.objects.select_for_update(of=("self",))
                .select_related("booking", "booking__item", "host_unit").get(pk=call_id))
    except (Call.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(_("找不到该通话。"))


def _event(call, kind, *, at, user=None, participant=None, unit=None, **detail):
    CallEvent.objects.create(call=call, kind=kind, user=user, participant=participant, unit=unit, detail=detail,
                             at=at)


def _close_stretch(participant: Participant, at):
    """Add the admitted time since the stretch began to the participant's total."""
    if participant.state == Participant.State.ADMITTED and participant.admitted_at and participant.channel_name:
        participant.seconds_in_call += max(0, int((at - participant.admitted_at).total_seconds()))


def _admitted_present(call_id, now, *, exclude=None) -> list[Participant]:
    rows = selectors.present_participants(call_id=call_id, now=now).filter(state=Participant.State.ADMITTED)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return list(rows.order_by("admitted_at", "joined_at"))


def _peer_channels(rows: list[Participant]) -> dict:
    return {str(p.pk): p.channel_name for p in rows}


def _publish_waiting(unit_id, now, outbox: Outbox, *, exclude=None):
    """The unit's consoles get the new waiting list; everyone waiting gets their new place in the queue."""
    outbox.to_unit(unit_id, {"type": "waiting-list", "unit_id": unit_id,
                             "waiting": selectors.waiting_list(unit_id=unit_id, now=now)})
    for row in selectors._waiting_rows(unit_id, now):
        if row.channel_name and row.pk != exclude:
            outbox.to_channel(row.channel_name, [{"type": "waiting", **selectors.queue_status(participant=row,
                                                                                             now=now)}],
                              call_id=row.call_id)


def _room_broadcast(call_id, now, payload, outbox, *, exclude=None, close=None, everyone=False):
    rows = selectors.present_participants(call_id=call_id, now=now)
    if not everyone:
        rows = rows.filter(state=Participant.State.ADMITTED)
    for row in rows:
        if row.pk != exclude:
            outbox.to_channel(row.channel_name, [payload], call_id=call_id, close=close)


def _move_booking(call: Call, to_status, *, actor, reason):
    booking = call.booking
    if booking is None:
        return
    booking.refresh_from_db(fields=["status"])
    if to_status in BOOKING_TRANSITIONS[BookingStatus(booking.status)]:
        booking_transition(booking=booking, to_status=to_status, actor=actor, reason=reason)


def _room_full_error() -> ServiceError:
    return ServiceError(
        _("此通话已满（最多 %(max)d 人）。多方视频为点对点网状连接，更多人参加需要媒体转发服务器（SFU）。")
        % {"max": conf.max_participants()},
        code="room_full", status_code=409)


# --- The room -------------------------------------------------------------------------------------

class _RoomFull(Exception):
    pass


def call_room_join(*, call_id, user, channel_name: str, participant_id=None) -> dict:
    """Enter the room (or take back one's place after a drop). Returns what the joining socket needs."""
    try:
        return _call_room_join(call_id=call_id, user=user, channel_name=channel_name, participant_id=participant_id)
    except _RoomFull:
        # Outside the refused transaction, so the refusal stays in the call log.
        CallEvent.objects.create(call_id=call_id, kind=CallEvent.Kind.REFUSED, user=user, at=timezone.now(),
                                 detail={"reason": "room_full"})
        raise _room_full_error()


def _call_room_join(*, call_id, user, channel_name: str, participant_id=None) -> dict:
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = _lock_call(call_id)
        _expire_call(call, now, outbox)
        invitation = selectors.invitation_for(call=call, user=user)
        role = selectors.call_room_role(call=call, user=user, invitation=invitation)
        if role is None:
            raise Forbidden(_("您无权进入此通话。"))
        if call.is_over or (call.booking_id and not call.booking.is_active):
            raise CallOver(_("此通话已结束。"))
        place = Participant.objects.select_for_update().filter(call=call, user=user).first()
        if participant_id and (place is None or str(place.pk) != str(participant_id)):
            raise ServiceError(_("参与者编号无效，请不带编号重新加入。"), code="bad_participant")
        grace_cutoff = now - timedelta(seconds=conf.reconnect_grace_seconds())
        rejoin = place is not None and place.state != Participant.State.LEFT and (
            place.channel_name is not None or (place.disconnected_at and place.disconnected_at > grace_cutoff))
        old_channel = None
        if rejoin:
            old_channel = place.channel_name
            _close_stretch(place, now)
            if place.state == Participant.State.ADMITTED:
                place.admitted_at = now
            events = [CallEvent.Kind.REJOINED]
        else:
            others = selectors.present_participants(call_id=call.pk, now=now).exclude(user=user).count()
            if others >= conf.max_participants():
                raise _RoomFull()
            waits = call.kind == Call.Kind.BOOKED and role in (Participant.Role.RESIDENT, Participant.Role.PROXY)
            state = Participant.State.WAITING if waits else Participant.State.ADMITTED
            if place is None:
                place = Participant(call=call, user=user)
            place.role = role
            place.state = state
            place.joined_at = now
            place.waiting_since = now if waits else None
            place.admitted_at = None if waits else now
            place.left_at = None
            place.media_state = {}
            events = [CallEvent.Kind.JOINED, CallEvent.Kind.WAITING if waits else CallEvent.Kind.ADMITTED]
        place.channel_name = channel_name
        place.disconnected_at = None
        place.last_seen_at = now
        place.save()
        CallEvent.objects.bulk_create([
            CallEvent(call=call, kind=kind, user=user, participant=place, at=now,
                      detail={"role": role} if kind == CallEvent.Kind.JOINED else {})
            for kind in events])

        if invitation is not None and invitation.status == CallInvitation.Status.RINGING:
            _accept_invitation(call, invitation, user, now, outbox)
        if role in (Participant.Role.RESIDENT, Participant.Role.PROXY) and call.booking_id:
            _move_booking(call, BookingStatus.CHECKED_IN, actor=user, reason="joined the call room")

        me = participant_public(place)
        peers: list[Participant] = []
        if place.state == Participant.State.ADMITTED:
            peers = _admitted_present(call.pk, now, exclude=place.pk)
            if call.status == Call.Status.SCHEDULED and peers:
                _activate(call, now)
            notice = {"type": "peer-rejoined" if rejoin else "peer-joined", "peer": me}
            for peer in peers:
                outbox.to_channel(peer.channel_name, [notice], call_id=call.pk, peers={me["participant_id"]:
                                                                                          channel_name})
        if old_channel and old_channel != channel_name:
            outbox.to_channel(old_channel, [{"type": "error", "code": "replaced",
                                             "detail": _("您已在其他窗口或设备上重新进入此通话。")}],
                              call_id=call.pk, close=4000)
        queue = None
        if place.state == Participant.State.WAITING:
            _publish_waiting(call.host_unit_id, now, outbox, exclude=place.pk)  # the joiner hears it in `joined`
            queue = selectors.queue_status(participant=place, now=now)
        outbox.commit()
    return {
        "participant_id": str(place.pk),
        "rejoined": rejoin,
        "me": me,
        "state": place.state,
        "queue": queue,
        "peers": [participant_public(p) for p in peers],
        "peer_channels": _peer_channels(peers),
        "call": {"id": str(call.pk), "kind": call.kind, "status": call.status, "booking_id": call.booking_id,
                 "case_id": call.case_id, "topic": call.topic},
        "may_admit": selectors.may_admit(call=call, user=user),
    }


def _activate(call: Call, now):
    if call.status in (Call.Status.SCHEDULED, Call.Status.RINGING):
        call.status = Call.Status.ACTIVE
        call.started_at = call.started_at or now
        call.save(update_fields=["status", "started_at"])


def call_room_disconnect(*, participant_id, channel_name: str) -> None:
    """A socket dropped: its place is kept for the grace period, the others are told."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        place = Participant.objects.filter(pk=participant_id).select_related("call").first()
        if place is None:
            return
        _lock_call(place.call_id)
        place = Participant.objects.select_for_update().get(pk=participant_id)
        if place.channel_name != channel_name or place.state == Participant.State.LEFT:
            return  # another socket took the place over, or it already left
        _mark_disconnected(place, now, now, outbox)
        outbox.commit()


def _mark_disconnected(place: Participant, at, now, outbox: Outbox):
    _close_stretch(place, at)
    place.channel_name = None
    place.disconnected_at = at
    place.save(update_fields=["channel_name", "disconnected_at", "seconds_in_call"])
    CallEvent.objects.create(call_id=place.call_id, kind=CallEvent.Kind.DISCONNECTED, user_id=place.user_id,
                             participant=place, at=at, detail={})
    if place.state == Participant.State.ADMITTED:
        notice = {"type": "peer-disconnected", "participant_id": str(place.pk),
                  "grace_seconds": conf.reconnect_grace_seconds()}
        for peer in _admitted_present(place.call_id, now, exclude=place.pk):
            outbox.to_channel(peer.channel_name, [notice], call_id=place.call_id, peers={str(place.pk): None})
    else:
        _publish_waiting(place.call.host_unit_id, now, outbox)


def _mark_left(place: Participant, now, outbox: Outbox, *, reason: str, at=None):
    at = at or now
    was_admitted = place.state == Participant.State.ADMITTED
    _close_stretch(place, at)
    place.state = Participant.State.LEFT
    place.left_at = at
    place.channel_name = None
    place.save(update_fields=["state", "left_at", "channel_name", "seconds_in_call"])
    CallEvent.objects.create(call_id=place.call_id, kind=CallEvent.Kind.LEFT, user_id=place.user_id,
                             participant=place, at=at, detail={"reason": reason})
    if was_admitted:
        notice = {"type": "peer-left", "participant_id": str(place.pk), "reason": reason}
        for peer in _admitted_present(place.call_id, now, exclude=place.pk):
            outbox.to_channel(peer.channel_name, [notice], call_id=place.call_id, peers={str(place.pk): None})
    else:
        _publish_waiting(place.call.host_unit_id, now, outbox)


def call_room_leave(*, participant_id, channel_name: str) -> None:
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        place = Participant.objects.filter(pk=participant_id).first()
        if place is None:
            return
        _lock_call(place.call_id)
        place = Participant.objects.select_for_update().select_related("call").get(pk=participant_id)
        if place.channel_name != channel_name or place.state == Participant.State.LEFT:
            return
        _mark_left(place, now, outbox, reason="left")
        outbox.commit()


def participant_heartbeat(*, participant_id, channel_name: str) -> bool:
    return bool(Participant.objects.filter(pk=participant_id, channel_name=channel_name)
                .update(last_seen_at=timezone.now()))


def room_peer_channels(*, call_id, participant_id) -> dict:
    """The channels of the admitted peers a participant may signal to (for a consumer whose map is stale)."""
    now = timezone.now()
    me = Participant.objects.filter(pk=participant_id, call_id=call_id, state=Participant.State.ADMITTED).first()
    if me is None:
        return {}
    return _peer_channels(_admitted_present(call_id, now, exclude=me.pk))


def participant_admit(*, call_id, actor, participant_id=None, admit_all: bool = False) -> list[str]:
    """An agent lets one waiting person (or everyone waiting for this call) into the call."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = _lock_call(call_id)
        _expire_call(call, now, outbox)
        if not selectors.may_admit(call=call, user=actor):
            raise Forbidden(_("只有本机构的坐席或发起人可以准入候诊人员。"))
        if call.is_over:
            raise CallOver(_("此通话已结束。"))
        waiting = selectors.present_participants(call_id=call.pk, now=now).filter(
            state=Participant.State.WAITING).order_by("waiting_since")
        if not admit_all:
            if not participant_id:
                raise ServiceError(_("请指定要准入的人员，或选择全部准入。"), code="missing_field")
            waiting = waiting.filter(pk=participant_id)
        waiting = list(waiting.select_for_update(of=("self",)))
        if not admit_all and not waiting:
            raise NotFound(_("该人员不在候诊室中。"))
        admitted_ids = []
        for place in waiting:
            # One at a time: the newcomer gets the peers already in and makes the offers; they get `peer-joined`.
            peers = _admitted_present(call.pk, now, exclude=place.pk)
            place.state = Participant.State.ADMITTED
            place.admitted_at = now
            place.save(update_fields=["state", "admitted_at"])
            _event(call, CallEvent.Kind.ADMITTED, at=now, user=actor, participant=place)
            me = participant_public(place)
            outbox.to_channel(place.channel_name, [{"type": "admitted", "participant_id": me["participant_id"]},
                                                   {"type": "peers", "peers": [participant_public(p) for p in peers]}],
                              call_id=call.pk, admitted=True, peers=_peer_channels(peers))
            for peer in peers:
                outbox.to_channel(peer.channel_name, [{"type": "peer-joined", "peer": me}], call_id=call.pk,
                                  peers={me["participant_id"]: place.channel_name})
            admitted_ids.append(me["participant_id"])
        if admitted_ids:
            _activate(call, now)
        _publish_waiting(call.host_unit_id, now, outbox)
        outbox.commit()
    return admitted_ids


def participant_hold(*, call_id, actor, participant_id) -> None:
    """The caller (or an agent) moves someone back to the waiting room; the others stop their connections."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = _lock_call(call_id)
        if not selectors.may_admit(call=call, user=actor):
            raise Forbidden(_("只有本机构的坐席或发起人可以让人员回到候诊室。"))
        place = (selectors.present_participants(call_id=call.pk, now=now)
                 .filter(pk=participant_id, state=Participant.State.ADMITTED).select_for_update(of=("self",))
                 .first())
        if place is None:
            raise NotFound(_("该人员不在通话中。"))
        if place.user_id == actor.pk:
            raise ServiceError(_("不能让自己回到候诊室。"), code="invalid")
        _close_stretch(place, now)
        place.state = Participant.State.WAITING
        place.waiting_since = now
        place.save(update_fields=["state", "waiting_since", "seconds_in_call"])
        _event(call, CallEvent.Kind.HELD, at=now, user=actor, participant=place)
        peers = _admitted_present(call.pk, now, exclude=place.pk)
        outbox.to_channel(place.channel_name, [{"type": "held"}], call_id=call.pk, admitted=False,
                          peers={str(p.pk): None for p in peers})
        for peer in peers:
            outbox.to_channel(peer.channel_name, [{"type": "peer-left", "participant_id": str(place.pk),
                                                   "reason": "held"}], call_id=call.pk, peers={str(place.pk): None})
        _publish_waiting(call.host_unit_id, now, outbox)
        outbox.commit()


def participant_media_state(*, participant_id, channel_name: str, state: dict) -> None:
    """Muted, camera off, audio only, connection: logged; the first `connected` starts the booked session."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        place = Participant.objects.filter(pk=participant_id, channel_name=channel_name).first()
        if place is None:
            return
        call = _lock_call(place.call_id)
        place = Participant.objects.select_for_update().get(pk=participant_id)
        current = dict(place.media_state or {})
        changes = {key: value for key, value in state.items() if key != "peer" and current.get(key) != value}
        if changes:
            current.update(changes)
            place.media_state = current
            place.save(update_fields=["media_state"])
        if changes or state.get("connection"):
            CallEvent.objects.create(call=call, kind=CallEvent.Kind.MEDIA_STATE, user_id=place.user_id,
                                     participant=place, at=now, detail=state)
        if state.get("connection") == "connected" and place.state == Participant.State.ADMITTED:
            _activate(call, now)
            _move_booking(call, BookingStatus.IN_CALL, actor=place.user, reason="media connected")
        notice = {"type": "media-state", "from": str(place.pk), **state}
        for peer in _admitted_present(call.pk, now, exclude=place.pk):
            outbox.to_channel(peer.channel_name, [notice], call_id=call.pk)
        outbox.commit()


def call_hangup(*, call_id, actor) -> Call:
    """The agent (or the caller) ends the call for everyone; a booked session is then completed."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = _lock_call(call_id)
        if not selectors.may_hang_up(call=call, user=actor):
            raise Forbidden(_("只有坐席或发起人可以结束通话，您可以选择离开。"))
        if call.is_over:
            return call
        _end_call(call, now, outbox, status=Call.Status.ENDED, actor=actor, reason="hangup")
        if call.booking_id:
            _move_booking(call, BookingStatus.COMPLETED, actor=actor, reason="agent hung up")
        outbox.commit()
    return call


def _end_call(call: Call, now, outbox: Outbox, *, status, actor=None, reason: str):
    actor_place = Participant.objects.filter(call=call, user=actor).first() if actor else None
    by = participant_public(actor_place) if actor_place else None
    payload = {"type": "hangup" if reason == "hangup" else "call-status", "call_id": str(call.pk),
               "status": status, "reason": reason, "by": by}
    places = list(Participant.objects.filter(call=call).exclude(state=Participant.State.LEFT).select_related("call"))
    for place in places:
        outbox.to_channel(place.channel_name, [payload], call_id=call.pk, close=1000)
        _close_stretch(place, now)
        place.state = Participant.State.LEFT
        place.left_at = now
        place.channel_name = None
        place.save(update_fields=["state", "left_at", "channel_name", "seconds_in_call"])
        CallEvent.objects.create(call=call, kind=CallEvent.Kind.LEFT, user_id=place.user_id, participant=place,
                                 at=now, detail={"reason": reason})
    for invitation in CallInvitation.objects.filter(call=call, status=CallInvitation.Status.RINGING):
        invitation.status = CallInvitation.Status.MISSED
        invitation.save(update_fields=["status"])
        _event(call, CallEvent.Kind.MISSED, at=now, user=invitation.user, unit=invitation.unit)
        _stop_ringing(invitation, outbox, reason=reason)
    call.status = status
    call.ended_at = now
    call.save(update_fields=["status", "ended_at"])
    _event(call, CallEvent.Kind.ENDED, at=now, user=actor, reason=reason, status=status)
    if call.created_by_id:
        outbox.to_user(call.created_by_id, {"type": "call-status", "call_id": str(call.pk), "status": status,
                                            "reason": reason})
    _publish_waiting(call.host_unit_id, now, outbox)


# --- Ringing, answering, inviting -----------------------------------------------------------------

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


def _stop_ringing(invitation: CallInvitation, outbox: Outbox, *, reason: str):
    payload = {"type": "ringing-stopped", "call_id": str(invitation.call_id), "unit_id": invitation.unit_id,
               "reason": reason}
    if invitation.unit_id:
        for user_id in selectors.on_duty_staff_ids(unit_id=invitation.unit_id):
            outbox.to_user(user_id, payload)
    elif invitation.user_id:
        outbox.to_user(invitation.user_id, payload)


def _invitation_public(invitation: CallInvitation) -> dict:
    user = invitation.user
    return {
        "unit_id": invitation.unit_id,
        "unit": invitation.unit.name if invitation.unit_id else None,
        "user": (selectors.mask_name(user.real_name) if user.is_resident else user.real_name) if user else None,
        "status": invitation.status,
        "purpose": invitation.purpose,
    }


def _tell_caller(call: Call, invitation: CallInvitation, now, outbox: Outbox):
    payload = {"type": "call-status", "call_id": str(call.pk), "status": call.status,
               "invitation": _invitation_public(invitation)}
    if call.created_by_id:
        outbox.to_user(call.created_by_id, payload)
    _room_broadcast(call.pk, now, payload, outbox)


def _accept_invitation(call: Call, invitation: CallInvitation, user, now, outbox: Outbox):
    invitation.status = CallInvitation.Status.ACCEPTED
    invitation.answered_by = user
    invitation.answered_at = now
    invitation.save(update_fields=["status", "answered_by", "answered_at"])
    _event(call, CallEvent.Kind.ACCEPTED, at=now, user=user, unit=invitation.unit)
    _activate(call, now)
    _stop_ringing_colleagues(invitation, user, outbox)
    _tell_caller(call, invitation, now, outbox)


def _stop_ringing_colleagues(invitation, user, outbox):
    if invitation.unit_id:
        payload = {"type": "ringing-stopped", "call_id": str(invitation.call_id), "unit_id": invitation.unit_id,
                   "reason": "answered"}
        for user_id in selectors.on_duty_staff_ids(unit_id=invitation.unit_id):
            outbox.to_user(user_id, payload)


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
        raise _room_full_error()
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
            _event(call, CallEvent.Kind.RANG, at=now, user=invitation.user, unit=invitation.unit)
            _ring(call, invitation, caller, now, outbox)
        outbox.commit()
    log.info("call.started", call_id=str(call.pk), host_unit=host.pk, callees=len(invitations))
    return call


def call_answer(*, call_id, user, accept: bool) -> CallInvitation:
    """A callee accepts or declines. For a unit, the first colleague to accept takes the call."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = _lock_call(call_id)
        _expire_call(call, now, outbox)
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
            _accept_invitation(call, invitation, user, now, outbox)
        else:
            invitation.status = CallInvitation.Status.DECLINED
            invitation.answered_by = user
            invitation.answered_at = now
            invitation.save(update_fields=["status", "answered_by", "answered_at"])
            _event(call, CallEvent.Kind.DECLINED, at=now, user=user, unit=invitation.unit)
            _stop_ringing(invitation, outbox, reason="declined")
            _tell_caller(call, invitation, now, outbox)
            open_invitations = CallInvitation.objects.filter(call=call, status__in=[
                CallInvitation.Status.RINGING, CallInvitation.Status.ACCEPTED]).exists()
            if call.status == Call.Status.RINGING and not open_invitations:
                _end_call(call, now, outbox, status=Call.Status.ENDED, reason="declined")
        outbox.commit()
    return invitation


def call_invite(*, call_id, actor, user_id=None, unit_id=None) -> CallInvitation:
    """Someone in the call pulls a reviewer (by account) or a unit's on-duty staff into it."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = _lock_call(call_id)
        _expire_call(call, now, outbox)
        in_room = Participant.objects.filter(call=call, user=actor, state=Participant.State.ADMITTED).exists()
        if not actor.is_staff_member or not (in_room or selectors.may_admit(call=call, user=actor)):
            raise Forbidden(_("只有通话中的工作人员可以邀请他人加入。"))
        if call.is_over:
            raise CallOver(_("此通话已结束。"))
        if selectors.present_participants(call_id=call.pk, now=now).count() >= conf.max_participants():
            raise _room_full_error()
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
        _event(call, CallEvent.Kind.INVITED, at=now, user=invitation.user, unit=invitation.unit, by=actor.pk)
        _ring(call, invitation, actor, now, outbox)
        outbox.commit()
    return invitation


def call_attach_case(*, call_id, actor, case_id: int) -> Call:
    """Link the call to an existing case the staff member may see."""
    from reviews.selectors import case_get_for_user

    with transaction.atomic():
        call = _lock_call(call_id)
        if not selectors.may_view(call=call, user=actor):
            raise Forbidden(_("您无权查看此通话。"))
        case_get_for_user(user=actor, case_id=case_id)  # NotFound for a case the actor may not see
        call.case_id = case_id
        call.save(update_fields=["case_id"])
    return call


def call_case_create(*, call_id, actor, item, form_data: dict | None = None) -> Call:
    """Turn an ad hoc call with a resident into a new draft case, opened at the calling unit."""
    from reviews.services import case_create

    with transaction.atomic():
        call = _lock_call(call_id)
        if not selectors.may_view(call=call, user=actor):
            raise Forbidden(_("您无权查看此通话。"))
        if call.case_id:
            raise Conflict(_("该通话已关联案件。"), code="case_exists", extra={"case_id": call.case_id})
        resident = (User.objects.filter(call_invitations__call=call, role=User.Role.RESIDENT).first()
                    if call.kind == Call.Kind.AD_HOC else None)
        if resident is None:
            raise Conflict(_("只有呼叫参保人的临时通话可以转为案件；预约视频请从预约建立案件。"), code="no_resident")
        # She spoke with this unit in this call: the case may show her data. A missed call grants nothing.
        spoke = call.participants.filter(user=resident, admitted_at__isnull=False).exists()
        case = case_create(actor=actor, resident=resident, item=item, unit_id=call.host_unit_id, form_data=form_data,
                           consent_via="call" if spoke else "")
        call.case_id = case.pk
        call.save(update_fields=["case_id"])
    return call


# --- Expiry: ring timeouts, dropped sockets, dead processes ---------------------------------------

def _expire_call(call: Call, now, outbox: Outbox):
    """Apply the deadlines that have passed for one (locked) call. Runs from the sweep and on every read."""
    stale_cutoff = now - timedelta(seconds=conf.socket_stale_seconds())
    grace = timedelta(seconds=conf.reconnect_grace_seconds())
    due = (Participant.objects.filter(call=call).exclude(state=Participant.State.LEFT).select_related("call")
           .filter(Q(channel_name__isnull=False, last_seen_at__lte=stale_cutoff)
                   | Q(channel_name__isnull=True, disconnected_at__lte=now - grace)).order_by("joined_at"))
    for place in due:
        if place.channel_name is not None:
            # Its Daphne process is gone without a disconnect: treat it as dropped when last heard from.
            _mark_disconnected(place, place.last_seen_at, now, outbox)
        if place.disconnected_at <= now - grace:
            _mark_left(place, now, outbox, reason="timeout", at=place.disconnected_at + grace)
    due = list(CallInvitation.objects.filter(call=call, status=CallInvitation.Status.RINGING,
                                             rings_until__lte=now).select_related("unit", "user"))
    for invitation in due:
        invitation.status = CallInvitation.Status.MISSED
        invitation.save(update_fields=["status"])
        _event(call, CallEvent.Kind.MISSED, at=invitation.rings_until, user=invitation.user, unit=invitation.unit)
        _stop_ringing(invitation, outbox, reason="missed")
        _tell_caller(call, invitation, now, outbox)
    if call.status == Call.Status.RINGING and call.rings_until and call.rings_until <= now and not \
            CallInvitation.objects.filter(call=call, status=CallInvitation.Status.ACCEPTED).exists():
        _end_call(call, now, outbox, status=Call.Status.MISSED, reason="missed")


def call_sweep(*, now=None) -> int:
    """Beat task body: end unanswered calls as missed, free places dropped longer than the grace period."""
    now = now or timezone.now()
    stale_cutoff = now - timedelta(seconds=conf.socket_stale_seconds())
    grace_cutoff = now - timedelta(seconds=conf.reconnect_grace_seconds())
    due = set(CallInvitation.objects.filter(status=CallInvitation.Status.RINGING, rings_until__lte=now)
              .values_list("call_id", flat=True))
    due |= set(Call.objects.filter(status=Call.Status.RINGING, rings_until__lte=now).values_list("pk", flat=True))
    live = Participant.objects.exclude(state=Participant.State.LEFT)
    due |= set(live.filter(channel_name__isnull=True, disconnected_at__lte=grace_cutoff)
               .values_list("call_id", flat=True))
    due |= set(live.filter(channel_name__isnull=False, last_seen_at__lte=stale_cutoff)
               .values_list("call_id", flat=True))
    for call_id in due:
        outbox = Outbox()
        with transaction.atomic():
            _expire_call(_lock_call(call_id), now, outbox)
            outbox.commit()
    InboxSocket.objects.filter(last_seen_at__lte=stale_cutoff).delete()
    return len(due)


def call_refresh(*, call: Call) -> Call:
    """The check on read: apply passed deadlines before showing a call."""
    outbox = Outbox()
    with transaction.atomic():
        locked = _lock_call(call.pk)
        _expire_call(locked, timezone.now(), outbox)
        outbox.commit()
    return locked


# --- Personal sockets (/ws/me/ and consoles) ------------------------------------------------------

def inbox_socket_open(*, user, channel_name: str) -> None:
    now = timezone.now()
    InboxSocket.objects.update_or_create(channel_name=channel_name, defaults={"user": user, "connected_at": now,
                                                                              "last_seen_at": now})


def inbox_socket_touch(*, channel_name: str) -> None:
    InboxSocket.objects.filter(channel_name=channel_name).update(last_seen_at=timezone.now())


def inbox_socket_close(*, channel_name: str) -> None:
    InboxSocket.objects.filter(channel_name=channel_name).delete()


def console_may_open(*, user, unit_id) -> bool:
    return bool(user.is_staff_member and StaffMembership.objects.filter(user=user, unit_id=unit_id).exists())
