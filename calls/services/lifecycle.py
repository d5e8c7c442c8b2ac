"""How places and calls end: dropped, left, ended, expired; the beat sweep and the check on read."""
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from calls import conf, selectors
from calls.models import Call, CallEvent, CallInvitation, InboxSocket, Participant
from calls.selectors import participant_public
from calls.services.common import (
    admitted_present,
    close_stretch,
    lock_call,
    publish_waiting,
    record_event,
    stop_ringing,
    tell_caller,
)
from calls.services.delivery import Outbox


def mark_disconnected(place: Participant, at, now, outbox: Outbox):
    close_stretch(place, at)
    place.channel_name = None
    place.disconnected_at = at
    place.save(update_fields=["channel_name", "disconnected_at", "seconds_in_call"])
    CallEvent.objects.create(call_id=place.call_id, kind=CallEvent.Kind.DISCONNECTED, user_id=place.user_id,
                             participant=place, at=at, detail={})
    if place.state == Participant.State.ADMITTED:
        notice = {"type": "peer-disconnected", "participant_id": str(place.pk),
                  "grace_seconds": conf.reconnect_grace_seconds()}
        for peer in admitted_present(place.call_id, now, exclude=place.pk):
            outbox.to_channel(peer.channel_name, [notice], call_id=place.call_id, peers={str(place.pk): None})
    else:
        publish_waiting(place.call.host_unit_id, now, outbox)


def mark_left(place: Participant, now, outbox: Outbox, *, reason: str, at=None):
    at = at or now
    was_admitted = place.state == Participant.State.ADMITTED
    close_stretch(place, at)
    place.state = Participant.State.LEFT
    place.left_at = at
    place.channel_name = None
    place.save(update_fields=["state", "left_at", "channel_name", "seconds_in_call"])
    CallEvent.objects.create(call_id=place.call_id, kind=CallEvent.Kind.LEFT, user_id=place.user_id,
                             participant=place, at=at, detail={"reason": reason})
    if was_admitted:
        notice = {"type": "peer-left", "participant_id": str(place.pk), "reason": reason}
        for peer in admitted_present(place.call_id, now, exclude=place.pk):
            outbox.to_channel(peer.channel_name, [notice], call_id=place.call_id, peers={str(place.pk): None})
    else:
        publish_waiting(place.call.host_unit_id, now, outbox)


def end_call(call: Call, now, outbox: Outbox, *, status, actor=None, reason: str):
    actor_place = Participant.objects.filter(call=call, user=actor).first() if actor else None
    by = participant_public(actor_place) if actor_place else None
    payload = {"type": "hangup" if reason == "hangup" else "call-status", "call_id": str(call.pk),
               "status": status, "reason": reason, "by": by}
    places = list(Participant.objects.filter(call=call).exclude(state=Participant.State.LEFT).select_related("call"))
    for place in places:
        outbox.to_channel(place.channel_name, [payload], call_id=call.pk, close=1000)
        close_stretch(place, now)
        place.state = Participant.State.LEFT
        place.left_at = now
        place.channel_name = None
        place.save(update_fields=["state", "left_at", "channel_name", "seconds_in_call"])
        CallEvent.objects.create(call=call, kind=CallEvent.Kind.LEFT, user_id=place.user_id, participant=place,
                                 at=now, detail={"reason": reason})
    for invitation in CallInvitation.objects.filter(call=call, status=CallInvitation.Status.RINGING):
        invitation.status = CallInvitation.Status.MISSED
        invitation.save(update_fields=["status"])
        record_event(call, CallEvent.Kind.MISSED, at=now, user=invitation.user, unit=invitation.unit)
        stop_ringing(invitation, outbox, reason=reason)
    call.status = status
    call.ended_at = now
    call.save(update_fields=["status", "ended_at"])
    record_event(call, CallEvent.Kind.ENDED, at=now, user=actor, reason=reason, status=status)
    if call.created_by_id:
        outbox.to_user(call.created_by_id, {"type": "call-status", "call_id": str(call.pk), "status": status,
                                            "reason": reason})
    publish_waiting(call.host_unit_id, now, outbox)


def expire_call(call: Call, now, outbox: Outbox):
    """Apply the deadlines that have passed for one (locked) call. Runs from the sweep and on every read."""
    stale_cutoff = now - timedelta(seconds=conf.socket_stale_seconds())
    grace = timedelta(seconds=conf.reconnect_grace_seconds())
    due = (Participant.objects.filter(call=call).exclude(state=Participant.State.LEFT).select_related("call")
           .filter(Q(channel_name__isnull=False, last_seen_at__lte=stale_cutoff)
                   | Q(channel_name__isnull=True, disconnected_at__lte=now - grace)).order_by("joined_at"))
    for place in due:
        if place.channel_name is not None:
            # Its Daphne process is gone without a disconnect: treat it as dropped when last heard from.
            mark_disconnected(place, place.last_seen_at, now, outbox)
        if place.disconnected_at <= now - grace:
            mark_left(place, now, outbox, reason="timeout", at=place.disconnected_at + grace)
    due = list(CallInvitation.objects.filter(call=call, status=CallInvitation.Status.RINGING,
                                             rings_until__lte=now).select_related("unit", "user"))
    for invitation in due:
        invitation.status = CallInvitation.Status.MISSED
        invitation.save(update_fields=["status"])
        record_event(call, CallEvent.Kind.MISSED, at=invitation.rings_until, user=invitation.user, unit=invitation.unit)
        stop_ringing(invitation, outbox, reason="missed")
        tell_caller(call, invitation, now, outbox)
    if call.status == Call.Status.RINGING and call.rings_until and call.rings_until <= now and not \
            CallInvitation.objects.filter(call=call, status=CallInvitation.Status.ACCEPTED).exists():
        end_call(call, now, outbox, status=Call.Status.MISSED, reason="missed")


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
            expire_call(lock_call(call_id), now, outbox)
            outbox.commit()
    InboxSocket.objects.filter(last_seen_at__lte=stale_cutoff).delete()
    return len(due)


def call_refresh(*, call: Call) -> Call:
    """The check on read: apply passed deadlines before showing a call."""
    outbox = Outbox()
    with transaction.atomic():
        locked = lock_call(call.pk)
        expire_call(locked, timezone.now(), outbox)
        outbox.commit()
    return locked


def call_refresh_for_viewer(*, call_id, viewer) -> Call:
    """A call's log for someone who may read it (selectors.call_get_for_viewer), its passed deadlines applied."""
    return call_refresh(call=selectors.call_get_for_viewer(call_id=call_id, user=viewer))


def call_log_for_day(*, user, day) -> list[Call]:
    """The day's calls (selectors.call_list_for_day) after the sweep: a missed call shows as missed even
    between beat runs."""
    call_sweep()
    return selectors.call_list_for_day(user=user, day=day)
