"""Who may be in a call's room, admit, hang up or see it; who is present."""
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.validators import mask_name
from bookings.models import ACTIVE_BOOKING_STATUSES
from calls import conf
from calls.models import Call, CallInvitation, Participant
from core.errors import Forbidden, NotFound, ServiceError
from stations.models import StaffMembership


class CallOver(ServiceError):
    status_code = 410
    code = "call_over"


def call_get(*, call_id) -> Call:
    try:
        return Call.objects.select_related("booking", "booking__item", "host_unit").get(pk=call_id)
    except (Call.DoesNotExist, ValueError, TypeError, ValidationError):  # ValidationError: not a UUID
        raise NotFound(_("找不到该通话。"))


def _is_member(user, unit_id, *, agent: bool = False) -> bool:
    memberships = StaffMembership.objects.filter(user=user, unit_id=unit_id)
    if agent:
        memberships = memberships.filter(is_agent=True)
    return memberships.exists()


_LOOK_UP = object()


def call_room_role(*, call: Call, user, invitation=_LOOK_UP) -> str | None:
    """The role `user` would have in the room, or None if they may not enter it at all.

    Booked call: the booking's resident and the proxy who booked it, agents of the booking's unit,
    staff invited to the call. Ad hoc call: the caller, called residents, staff of called units who
    accepted (joining a still-ringing unit invitation accepts it), staff invited by name.
    `invitation`: the user's `invitation_for` when the caller has it already (the join needs it too).
    """
    if not user or not user.is_authenticated:
        return None
    if call.kind == Call.Kind.BOOKED:
        booking = call.booking
        if user.pk == booking.resident_id:
            return Participant.Role.RESIDENT
        if user.pk == booking.booked_by_id:
            return Participant.Role.PROXY
        if user.is_staff_member and _is_member(user, booking.unit_id, agent=True):
            return Participant.Role.AGENT
    elif user.pk == call.created_by_id:
        return Participant.Role.CALLER
    if invitation is _LOOK_UP:
        invitation = invitation_for(call=call, user=user)
    if invitation is None or invitation.status == CallInvitation.Status.DECLINED:
        return None
    if invitation.user_id:
        return Participant.Role.RESIDENT if user.is_resident else Participant.Role.STAFF
    if invitation.status == CallInvitation.Status.ACCEPTED and invitation.answered_by_id != user.pk:
        return None  # a colleague took this unit's call
    if invitation.status == CallInvitation.Status.MISSED:
        return None
    return Participant.Role.STAFF


def invitation_for(*, call: Call, user) -> CallInvitation | None:
    """The user's own invitation, else the invitation of one of the user's units."""
    own = CallInvitation.objects.filter(call=call, user=user).first()
    if own:
        return own
    if not user.is_staff_member:
        return None
    unit_ids = StaffMembership.objects.filter(user=user).values_list("unit_id", flat=True)
    rows = list(CallInvitation.objects.filter(call=call, unit_id__in=unit_ids))
    # Prefer the one this user already answered, then one still ringing.
    for row in rows:
        if row.answered_by_id == user.pk:
            return row
    for row in rows:
        if row.status == CallInvitation.Status.RINGING:
            return row
    return rows[0] if rows else None


def call_known_to(*, call: Call, user) -> bool:
    """Whether the user has anything to do with this call: a place in its room, its log, an invitation, a past
    place. To anybody else it does not exist (404, not 403: an id must not confirm that a call is there)."""
    if not user or not user.is_authenticated:
        return False
    if call_room_role(call=call, user=user) is not None or may_view(call=call, user=user):
        return True
    return (CallInvitation.objects.filter(call=call, user=user).exists()
            or Participant.objects.filter(call=call, user=user).exists())


def call_get_for_user(*, call_id, user) -> Call:
    """The call if `call_known_to` the user, else NotFound."""
    call = call_get(call_id=call_id)
    if not call_known_to(call=call, user=user):
        raise NotFound(_("找不到该通话。"))
    return call


def call_get_for_room(*, call_id, user) -> Call:
    """The call for someone with a place in its room (its ICE credentials): NotFound to a stranger, Forbidden to
    someone who knows of the call but may not enter it (a colleague took the unit's call, a declined callee)."""
    call = call_get_for_user(call_id=call_id, user=user)
    if call_room_role(call=call, user=user) is None:
        raise Forbidden(_("您无权进入此通话。"))
    return call


def call_view_check(*, call: Call, user) -> None:
    """Forbidden unless the user may read the call's log (may_view)."""
    if not may_view(call=call, user=user):
        raise Forbidden(_("您无权查看此通话。"))


def call_get_for_viewer(*, call_id, user) -> Call:
    """The call for someone who may read its log: NotFound to a stranger, Forbidden to a party who may not
    (a resident in the room)."""
    call = call_get_for_user(call_id=call_id, user=user)
    call_view_check(call=call, user=user)
    return call


def call_room_access(*, call_id, user) -> tuple[Call, str]:
    """Checks made when a socket connects: the call exists, is not over, and the user may be in it."""
    call = call_get(call_id=call_id)
    role = call_room_role(call=call, user=user)
    if role is None:
        raise Forbidden(_("您无权进入此通话。"))
    if call.is_over or (call.booking_id and call.booking.status not in ACTIVE_BOOKING_STATUSES):
        raise CallOver(_("此通话已结束。"))
    return call, role


def may_admit(*, call: Call, user) -> bool:
    """Agents of the host unit (booked), the caller and staff of the host unit (ad hoc)."""
    if call.kind == Call.Kind.BOOKED:
        return _is_member(user, call.host_unit_id, agent=True)
    return user.pk == call.created_by_id or _is_member(user, call.host_unit_id)


def may_hang_up(*, call: Call, user) -> bool:
    return may_admit(call=call, user=user)


def may_view(*, call: Call, user) -> bool:
    """Staff of the host unit, of an invited unit, or invited by name; the caller."""
    if not user.is_staff_member:
        return False
    if user.pk == call.created_by_id or CallInvitation.objects.filter(call=call, user=user).exists():
        return True
    unit_ids = set(StaffMembership.objects.filter(user=user).values_list("unit_id", flat=True))
    if call.host_unit_id in unit_ids:
        return True
    return CallInvitation.objects.filter(call=call, unit_id__in=unit_ids).exists()


def present_participants(*, call_id, now: datetime | None = None) -> QuerySet[Participant]:
    """Participants holding a place: connected, or dropped less than the grace period ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=conf.reconnect_grace_seconds())
    return (Participant.objects.filter(call_id=call_id).exclude(state=Participant.State.LEFT)
            .filter(Q(channel_name__isnull=False) | Q(disconnected_at__gt=cutoff)).select_related("user"))


def participant_public(participant: Participant) -> dict:
    user = participant.user
    if user.is_resident:
        name = mask_name(user.real_name)
    else:
        name = user.real_name or user.username
    return {
        "participant_id": str(participant.id),
        "role": participant.role,
        "name": name,
        "state": participant.state,
        "connected": participant.channel_name is not None,
        "media": participant.media_state or {},
    }
