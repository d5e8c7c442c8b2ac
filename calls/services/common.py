"""Moves several call writes share: the call lock, the event log, waiting-list and room notices, answering."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.validators import mask_name
from bookings.models import BookingStatus
from bookings.services import BOOKING_TRANSITIONS, booking_transition
from calls import conf, selectors
from calls.models import Call, CallEvent, CallInvitation, Participant
from calls.services.delivery import Outbox
from core.errors import NotFound, ServiceError


def lock_call(call_id) -> Call:
    try:
        return (Call.objects.select_for_update(of=("self",))
                .select_related("booking", "booking__item", "host_unit").get(pk=call_id))
    except (Call.DoesNotExist, ValueError, TypeError, ValidationError):
        raise NotFound(_("找不到该通话。"))


def lock_call_for(call_id, user) -> Call:
    """The locked call, or NotFound for someone it is unknown to (selectors.call_known_to)."""
    call = lock_call(call_id)
    if not selectors.call_known_to(call=call, user=user):
        raise NotFound(_("找不到该通话。"))
    return call


def record_event(call, kind, *, at, user=None, participant=None, unit=None, **detail):
    CallEvent.objects.create(call=call, kind=kind, user=user, participant=participant, unit=unit, detail=detail,
                             at=at)


def close_stretch(participant: Participant, at):
    """Add the admitted time since the stretch began to the participant's total."""
    if participant.state == Participant.State.ADMITTED and participant.admitted_at and participant.channel_name:
        participant.seconds_in_call += max(0, int((at - participant.admitted_at).total_seconds()))


def admitted_present(call_id, now, *, exclude=None) -> list[Participant]:
    rows = selectors.present_participants(call_id=call_id, now=now).filter(state=Participant.State.ADMITTED)
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    return list(rows.order_by("admitted_at", "joined_at"))


def peer_channels(rows: list[Participant]) -> dict:
    return {str(p.pk): p.channel_name for p in rows}


def publish_waiting(unit_id, now, outbox: Outbox, *, exclude=None):
    """The unit's consoles get the new waiting list; everyone waiting gets their new place in the queue."""
    outbox.to_unit(unit_id, {"type": "waiting-list", "unit_id": unit_id,
                             "waiting": selectors.waiting_list(unit_id=unit_id, now=now)})
    for row in selectors._waiting_rows(unit_id, now):
        if row.channel_name and row.pk != exclude:
            outbox.to_channel(row.channel_name, [{"type": "waiting", **selectors.queue_status(participant=row,
                                                                                             now=now)}],
                              call_id=row.call_id)


def room_broadcast(call_id, now, payload, outbox, *, exclude=None, close=None, everyone=False):
    rows = selectors.present_participants(call_id=call_id, now=now)
    if not everyone:
        rows = rows.filter(state=Participant.State.ADMITTED)
    for row in rows:
        if row.pk != exclude:
            outbox.to_channel(row.channel_name, [payload], call_id=call_id, close=close)


def move_booking(call: Call, to_status, *, actor, reason, outbox: Outbox):
    """Move the call's booking along; the unit's consoles hear of it so their booking table follows the call."""
    booking = call.booking
    if booking is None:
        return
    booking.refresh_from_db(fields=["status"])
    if to_status in BOOKING_TRANSITIONS[BookingStatus(booking.status)]:
        booking_transition(booking=booking, to_status=to_status, actor=actor, reason=reason)
        outbox.to_unit(booking.unit_id, {"type": "booking-status", "booking_id": booking.pk,
                                         "call_id": str(call.pk), "status": str(to_status)})


def room_full_error() -> ServiceError:
    return ServiceError(
        _("此通话已满（最多 %(max)d 人）。多方视频为点对点网状连接，更多人参加需要媒体转发服务器（SFU）。")
        % {"max": conf.max_participants()},
        code="room_full", status_code=409)


def activate_call(call: Call, now):
    if call.status in (Call.Status.SCHEDULED, Call.Status.RINGING):
        call.status = Call.Status.ACTIVE
        call.started_at = call.started_at or now
        call.save(update_fields=["status", "started_at"])


def stop_ringing(invitation: CallInvitation, outbox: Outbox, *, reason: str):
    payload = {"type": "ringing-stopped", "call_id": str(invitation.call_id), "unit_id": invitation.unit_id,
               "reason": reason}
    if invitation.unit_id:
        for user_id in selectors.on_duty_staff_ids(unit_id=invitation.unit_id):
            outbox.to_user(user_id, payload)
    elif invitation.user_id:
        outbox.to_user(invitation.user_id, payload)


def invitation_public(invitation: CallInvitation) -> dict:
    user = invitation.user
    return {
        "unit_id": invitation.unit_id,
        "unit": invitation.unit.name if invitation.unit_id else None,
        "user": (mask_name(user.real_name) if user.is_resident else user.real_name) if user else None,
        "status": invitation.status,
        "purpose": invitation.purpose,
    }


def tell_caller(call: Call, invitation: CallInvitation, now, outbox: Outbox):
    payload = {"type": "call-status", "call_id": str(call.pk), "status": call.status,
               "invitation": invitation_public(invitation)}
    if call.created_by_id:
        outbox.to_user(call.created_by_id, payload)
    room_broadcast(call.pk, now, payload, outbox)


def accept_invitation(call: Call, invitation: CallInvitation, user, now, outbox: Outbox):
    invitation.status = CallInvitation.Status.ACCEPTED
    invitation.answered_by = user
    invitation.answered_at = now
    invitation.save(update_fields=["status", "answered_by", "answered_at"])
    record_event(call, CallEvent.Kind.ACCEPTED, at=now, user=user, unit=invitation.unit)
    activate_call(call, now)
    stop_ringing_colleagues(invitation, user, outbox)
    tell_caller(call, invitation, now, outbox)


def stop_ringing_colleagues(invitation, user, outbox):
    if invitation.unit_id:
        payload = {"type": "ringing-stopped", "call_id": str(invitation.call_id), "unit_id": invitation.unit_id,
                   "reason": "answered"}
        for user_id in selectors.on_duty_staff_ids(unit_id=invitation.unit_id):
            outbox.to_user(user_id, payload)
