"""The call room: join (or rejoin), leave, drop, admit, hold, media state, hang up; a booking's call."""
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import BookingStatus
from calls import conf, selectors
from calls.models import Call, CallEvent, CallInvitation, Participant
from calls.selectors import CallOver, participant_public
from calls.services.common import (
    accept_invitation,
    activate_call,
    admitted_present,
    close_stretch,
    lock_call,
    lock_call_for,
    move_booking,
    peer_channels,
    publish_waiting,
    record_event,
    room_full_error,
)
from calls.services.delivery import Outbox
from calls.services.lifecycle import end_call, expire_call, mark_disconnected, mark_left
from core.errors import Forbidden, NotFound, ServiceError
from core.logging import get_logger

log = get_logger(__name__)


def booking_call_open(*, booking) -> Call:
    """A booking's call, made with the booking in its insert's transaction (calls.receivers): one INSERT."""
    return Call.objects.create(booking=booking, kind=Call.Kind.BOOKED, host_unit_id=booking.unit_id)


def booking_call_create(*, booking, new_booking: bool = False) -> Call:
    """The one call of a booked session, made if it is missing. `new_booking`: the booking was inserted just
    now, so its call came from booking_call_open and sits on this very instance (no query)."""
    if new_booking:
        try:
            return booking.call
        except Call.DoesNotExist:
            pass
    call, _created = Call.objects.get_or_create(booking=booking, defaults={"kind": Call.Kind.BOOKED,
                                                                           "host_unit_id": booking.unit_id})
    return call


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
        raise room_full_error()


def _room_entry(call: Call, user, participant_id, now) -> tuple[str, CallInvitation | None, Participant | None]:
    """Who may enter a call's room: (role, the user's invitation, the user's place if any, locked), or refused."""
    invitation = selectors.invitation_for(call=call, user=user)
    role = selectors.call_room_role(call=call, user=user, invitation=invitation)
    if role is None:
        raise Forbidden(_("您无权进入此通话。"))
    if call.is_over or (call.booking_id and not call.booking.is_active):
        raise CallOver(_("此通话已结束。"))
    place = Participant.objects.select_for_update().filter(call=call, user=user).first()
    if participant_id and (place is None or str(place.pk) != str(participant_id)):
        raise ServiceError(_("参与者编号无效，请不带编号重新加入。"), code="bad_participant")
    return role, invitation, place


def _is_rejoin(place: Participant | None, now) -> bool:
    """Taking back one's place: still connected elsewhere, or dropped within the grace period."""
    grace_cutoff = now - timedelta(seconds=conf.reconnect_grace_seconds())
    return place is not None and place.state != Participant.State.LEFT and (
        place.channel_name is not None or bool(place.disconnected_at and place.disconnected_at > grace_cutoff))


def _new_place(call: Call, user, role: str, place: Participant | None, now) -> tuple[Participant, list[str]]:
    """A fresh place in the room (refused when it is full): residents of a booked call wait to be admitted."""
    others = selectors.present_participants(call_id=call.pk, now=now).exclude(user=user).count()
    if others >= conf.max_participants():
        raise _RoomFull()
    waits = call.kind == Call.Kind.BOOKED and role in (Participant.Role.RESIDENT, Participant.Role.PROXY)
    if place is None:
        place = Participant(call=call, user=user)
    place.role = role
    place.state = Participant.State.WAITING if waits else Participant.State.ADMITTED
    place.joined_at = now
    place.waiting_since = now if waits else None
    place.admitted_at = None if waits else now
    place.left_at = None
    place.media_state = {}
    return place, [CallEvent.Kind.JOINED, CallEvent.Kind.WAITING if waits else CallEvent.Kind.ADMITTED]


def _announce(call: Call, place: Participant, *, rejoin: bool, old_channel: str | None, channel_name: str, now,
              outbox: Outbox) -> tuple[dict, list[Participant], dict | None]:
    """Tell the admitted peers (or the unit's waiting list) and a replaced socket; returns (me, peers, queue)."""
    me = participant_public(place)
    peers: list[Participant] = []
    if place.state == Participant.State.ADMITTED:
        peers = admitted_present(call.pk, now, exclude=place.pk)
        if call.status == Call.Status.SCHEDULED and peers:
            activate_call(call, now)
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
        publish_waiting(call.host_unit_id, now, outbox, exclude=place.pk)  # the joiner hears it in `joined`
        queue = selectors.queue_status(participant=place, now=now)
    return me, peers, queue


def _call_room_join(*, call_id, user, channel_name: str, participant_id=None) -> dict:
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = lock_call(call_id)
        expire_call(call, now, outbox)
        role, invitation, place = _room_entry(call, user, participant_id, now)
        rejoin = _is_rejoin(place, now)
        old_channel = None
        if rejoin:
            old_channel = place.channel_name
            close_stretch(place, now)
            if place.state == Participant.State.ADMITTED:
                place.admitted_at = now
            events = [CallEvent.Kind.REJOINED]
        else:
            place, events = _new_place(call, user, role, place, now)
        place.channel_name = channel_name
        place.disconnected_at = None
        place.last_seen_at = now
        place.save()
        CallEvent.objects.bulk_create([
            CallEvent(call=call, kind=kind, user=user, participant=place, at=now,
                      detail={"role": role} if kind == CallEvent.Kind.JOINED else {})
            for kind in events])
        if invitation is not None and invitation.status == CallInvitation.Status.RINGING:
            accept_invitation(call, invitation, user, now, outbox)
        if role in (Participant.Role.RESIDENT, Participant.Role.PROXY) and call.booking_id:
            move_booking(call, BookingStatus.CHECKED_IN, actor=user, reason="joined the call room", outbox=outbox)
        me, peers, queue = _announce(call, place, rejoin=rejoin, old_channel=old_channel, channel_name=channel_name,
                                     now=now, outbox=outbox)
        outbox.commit()
    return {
        "participant_id": str(place.pk),
        "rejoined": rejoin,
        "me": me,
        "state": place.state,
        "queue": queue,
        "peers": [participant_public(p) for p in peers],
        "peer_channels": peer_channels(peers),
        "call": {"id": str(call.pk), "kind": call.kind, "status": call.status, "booking_id": call.booking_id,
                 "case_id": call.case_id, "topic": call.topic},
        "may_admit": selectors.may_admit(call=call, user=user),
    }


def call_room_disconnect(*, participant_id, channel_name: str) -> None:
    """A socket dropped: its place is kept for the grace period, the others are told."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        place = Participant.objects.filter(pk=participant_id).select_related("call").first()
        if place is None:
            return
        lock_call(place.call_id)
        place = Participant.objects.select_for_update().get(pk=participant_id)
        if place.channel_name != channel_name or place.state == Participant.State.LEFT:
            return  # another socket took the place over, or it already left
        mark_disconnected(place, now, now, outbox)
        outbox.commit()


def call_room_leave(*, participant_id, channel_name: str) -> None:
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        place = Participant.objects.filter(pk=participant_id).first()
        if place is None:
            return
        lock_call(place.call_id)
        place = Participant.objects.select_for_update(of=("self",)).select_related("call").get(pk=participant_id)
        if place.channel_name != channel_name or place.state == Participant.State.LEFT:
            return
        mark_left(place, now, outbox, reason="left")
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
    return peer_channels(admitted_present(call_id, now, exclude=me.pk))


def room_peer_resync(*, call_id, participant_id, peer_id, channel_name: str) -> dict | None:
    """A relay reached a participant from a peer's socket it was never told about: the notice of that peer's
    rejoin went out while this participant's process was still subscribing again after a Redis restart, and
    pub/sub keeps nothing for a subscriber that is away. Returns the `peer-rejoined` notice for the page, late,
    if both are admitted and that socket is the peer's own now; None if the relay comes from a socket the peer
    no longer holds (it is stale and dropped)."""
    present = {str(p.pk): p for p in admitted_present(call_id, timezone.now())}
    me, peer = present.get(str(participant_id)), present.get(str(peer_id))
    if me is None or peer is None or peer.channel_name != channel_name:
        return None
    log.info("calls.peer_resynced", call_id=str(call_id), participant_id=str(participant_id), peer_id=str(peer_id))
    return {"type": "peer-rejoined", "peer": participant_public(peer)}


def participant_admit(*, call_id, actor, participant_id=None, admit_all: bool = False) -> list[str]:
    """An agent lets one waiting person (or everyone waiting for this call) into the call."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = lock_call_for(call_id, actor)
        expire_call(call, now, outbox)
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
            peers = admitted_present(call.pk, now, exclude=place.pk)
            place.state = Participant.State.ADMITTED
            place.admitted_at = now
            place.save(update_fields=["state", "admitted_at"])
            record_event(call, CallEvent.Kind.ADMITTED, at=now, user=actor, participant=place)
            me = participant_public(place)
            outbox.to_channel(place.channel_name, [{"type": "admitted", "participant_id": me["participant_id"]},
                                                   {"type": "peers", "peers": [participant_public(p) for p in peers]}],
                              call_id=call.pk, admitted=True, peers=peer_channels(peers))
            for peer in peers:
                outbox.to_channel(peer.channel_name, [{"type": "peer-joined", "peer": me}], call_id=call.pk,
                                  peers={me["participant_id"]: place.channel_name})
            admitted_ids.append(me["participant_id"])
        if admitted_ids:
            activate_call(call, now)
        publish_waiting(call.host_unit_id, now, outbox)
        outbox.commit()
    return admitted_ids


def participant_hold(*, call_id, actor, participant_id) -> None:
    """The caller (or an agent) moves someone back to the waiting room; the others stop their connections."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = lock_call_for(call_id, actor)
        if not selectors.may_admit(call=call, user=actor):
            raise Forbidden(_("只有本机构的坐席或发起人可以让人员回到候诊室。"))
        place = (selectors.present_participants(call_id=call.pk, now=now)
                 .filter(pk=participant_id, state=Participant.State.ADMITTED).select_for_update(of=("self",))
                 .first())
        if place is None:
            raise NotFound(_("该人员不在通话中。"))
        if place.user_id == actor.pk:
            raise ServiceError(_("不能让自己回到候诊室。"), code="invalid")
        close_stretch(place, now)
        place.state = Participant.State.WAITING
        place.waiting_since = now
        place.save(update_fields=["state", "waiting_since", "seconds_in_call"])
        record_event(call, CallEvent.Kind.HELD, at=now, user=actor, participant=place)
        peers = admitted_present(call.pk, now, exclude=place.pk)
        outbox.to_channel(place.channel_name, [{"type": "held"}], call_id=call.pk, admitted=False,
                          peers={str(p.pk): None for p in peers})
        for peer in peers:
            outbox.to_channel(peer.channel_name, [{"type": "peer-left", "participant_id": str(place.pk),
                                                   "reason": "held"}], call_id=call.pk, peers={str(place.pk): None})
        publish_waiting(call.host_unit_id, now, outbox)
        outbox.commit()


def participant_media_state(*, participant_id, channel_name: str, state: dict) -> None:
    """Muted, camera off, audio only, connection: logged; the first `connected` starts the booked session."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        place = Participant.objects.filter(pk=participant_id, channel_name=channel_name).first()
        if place is None:
            return
        call = lock_call(place.call_id)
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
            activate_call(call, now)
            move_booking(call, BookingStatus.IN_CALL, actor=place.user, reason="media connected", outbox=outbox)
        notice = {"type": "media-state", "from": str(place.pk), **state}
        for peer in admitted_present(call.pk, now, exclude=place.pk):
            outbox.to_channel(peer.channel_name, [notice], call_id=call.pk)
        outbox.commit()


def call_hangup(*, call_id, actor) -> Call:
    """The agent (or the caller) ends the call for everyone; a booked session is then completed."""
    now = timezone.now()
    outbox = Outbox()
    with transaction.atomic():
        call = lock_call_for(call_id, actor)
        if not selectors.may_hang_up(call=call, user=actor):
            raise Forbidden(_("只有坐席或发起人可以结束通话，您可以选择离开。"))
        if call.is_over:
            return call
        end_call(call, now, outbox, status=Call.Status.ENDED, actor=actor, reason="hangup")
        if call.booking_id:
            move_booking(call, BookingStatus.COMPLETED, actor=actor, reason="agent hung up", outbox=outbox)
        outbox.commit()
    return call
