"""Reads of calls: who may be in a room, who may call whom, waiting lists, call logs, ICE servers."""
import base64
import hashlib
import hmac
import math
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import mask_name
from bookings import selectors as booking_selectors
from bookings.models import ACTIVE_BOOKING_STATUSES, Booking
from calls import conf
from calls.models import Call, CallEvent, CallInvitation, InboxSocket, Participant
from core.errors import Forbidden, NotFound, ServiceError
from stations.models import StaffMembership, Unit


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


# --- Waiting room ---------------------------------------------------------------------------------

def booking_materials_status(*, booking: Booking) -> dict:
    missing = [requirement.name for requirement in booking_selectors.booking_missing_mandatory(booking)]
    return {"complete": not missing, "missing": missing}


def _waiting_rows(unit_id, now):
    cutoff = now - timedelta(seconds=conf.reconnect_grace_seconds())
    return list(
        Participant.objects.filter(call__host_unit_id=unit_id, state=Participant.State.WAITING)
        .exclude(call__status__in=[Call.Status.ENDED, Call.Status.MISSED])
        .filter(Q(channel_name__isnull=False) | Q(disconnected_at__gt=cutoff))
        .select_related("user", "call", "call__booking", "call__booking__item")
        .order_by("waiting_since", "joined_at")
    )


def waiting_list(*, unit_id, now: datetime | None = None) -> list[dict]:
    """Who waits for the unit's agents, oldest first, with what they came for and whether the papers are in."""
    now = now or timezone.now()
    rows = []
    for position, participant in enumerate(_waiting_rows(unit_id, now), start=1):
        call = participant.call
        booking = call.booking
        entry = {
            "participant_id": str(participant.id),
            "call_id": str(call.id),
            "who": mask_name(participant.user.real_name),
            "role": participant.role,
            "since": participant.waiting_since.isoformat(),
            "waited_seconds": int((now - participant.waiting_since).total_seconds()),
            "connected": participant.channel_name is not None,
            "position": position,
            "booking_id": booking.pk if booking else None,
            "item": booking.item.name if booking else call.topic,
            "starts_at": booking.starts_at.isoformat() if booking else None,
        }
        if booking:
            entry["materials"] = booking_materials_status(booking=booking)
        else:
            entry["materials"] = None
        rows.append(entry)
    return rows


def queue_status(*, participant: Participant, now: datetime | None = None) -> dict:
    """Position among the unit's waiting calls (people of one call count once) and an estimated wait."""
    now = now or timezone.now()
    call = participant.call
    calls_ahead: list[Call] = []
    for row in _waiting_rows(call.host_unit_id, now):
        if row.call_id == call.pk:
            break
        if all(c.pk != row.call_id for c in calls_ahead):
            calls_ahead.append(row.call)
    minutes = sum((c.booking.item.session_minutes if c.booking_id else 10) for c in calls_ahead)
    lines = max(1, call.host_unit.video_lines)
    return {
        "position": len(calls_ahead) + 1,
        "ahead": len(calls_ahead),
        "estimated_wait_seconds": int(math.ceil(minutes * 60 / lines)),
    }


# --- Who may call whom ----------------------------------------------------------------------------

CITY_KINDS = (Unit.Kind.CITY_DEPARTMENT, Unit.Kind.CITY_CENTRE)


def unit_may_call_unit(*, caller: Unit, callee: Unit) -> bool:
    if caller.pk == callee.pk:
        return False
    if caller.kind in CITY_KINDS:
        return True
    if caller.kind == Unit.Kind.TOWNSHIP_STATION:
        return (callee.kind == Unit.Kind.CITY_DEPARTMENT
                or (callee.kind == Unit.Kind.COUNTY_WORKSTATION and callee.county_id == caller.county_id))
    if caller.kind == Unit.Kind.COUNTY_WORKSTATION:
        return (callee.kind == Unit.Kind.CITY_DEPARTMENT
                or (callee.kind == Unit.Kind.TOWNSHIP_STATION and callee.county_id == caller.county_id))
    return False


def unit_may_call_resident(*, caller: Unit, resident: User) -> bool:
    if not resident.is_resident:
        return False
    if caller.kind in CITY_KINDS:
        return True
    if caller.kind == Unit.Kind.TOWNSHIP_STATION:
        return resident.home_township_id is not None and resident.home_township_id == caller.township_id
    if caller.kind == Unit.Kind.COUNTY_WORKSTATION:
        return resident.home_county_id is not None and resident.home_county_id == caller.county_id
    return False


def calling_rule_text(unit: Unit) -> str:
    if unit.kind == Unit.Kind.TOWNSHIP_STATION:
        return _("乡镇服务站只能呼叫本乡镇的参保人、本县区工作站和市中心业务科室。")
    if unit.kind == Unit.Kind.COUNTY_WORKSTATION:
        return _("县区工作站只能呼叫本县区的参保人和乡镇服务站，以及市中心业务科室。")
    return _("该单位不能发起此呼叫。")


def caller_unit(*, user, unit_id=None) -> Unit:
    memberships = StaffMembership.objects.filter(user=user).select_related("unit")
    if unit_id is not None:
        membership = memberships.filter(unit_id=unit_id).first()
        if membership is None:
            raise Forbidden(_("您不是该单位的工作人员，不能以其名义呼叫。"))
        return membership.unit
    membership = memberships.order_by("-is_agent", "pk").first()
    if membership is None:
        raise Forbidden(_("只有服务机构的工作人员可以发起呼叫。"))
    return membership.unit


def resident_is_online(*, user, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return InboxSocket.objects.filter(user=user,
                                      last_seen_at__gt=now - timedelta(seconds=conf.socket_stale_seconds())).exists()


def on_duty_staff_ids(*, unit_id) -> list[int]:
    return list(StaffMembership.objects.filter(unit_id=unit_id, on_duty=True, user__is_active=True)
                .values_list("user_id", flat=True))


# --- Call log and lists ---------------------------------------------------------------------------

def participant_seconds(participant: Participant, now: datetime) -> int:
    seconds = participant.seconds_in_call
    if participant.state == Participant.State.ADMITTED and participant.admitted_at and participant.channel_name:
        seconds += int((now - participant.admitted_at).total_seconds())
    return seconds


def call_detail(*, call: Call, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    participants = Participant.objects.filter(call=call).select_related("user").order_by("joined_at")
    events = CallEvent.objects.filter(call=call).select_related("user").order_by("at", "pk")
    invitations = CallInvitation.objects.filter(call=call).select_related("user", "unit", "answered_by")
    return {
        "id": str(call.id),
        "kind": call.kind,
        "status": call.status,
        "host_unit": {"id": call.host_unit_id, "name": call.host_unit.name},
        "booking_id": call.booking_id,
        "booking_status": call.booking.status if call.booking_id else None,
        "case_id": call.case_id,
        "topic": call.topic,
        "created_at": call.created_at.isoformat(),
        "started_at": call.started_at.isoformat() if call.started_at else None,
        "ended_at": call.ended_at.isoformat() if call.ended_at else None,
        "duration_seconds": call_duration_seconds(call, now),
        "invitations": [invitation_summary(inv) for inv in invitations],
        "participants": [
            {**participant_public(p), "joined_at": p.joined_at.isoformat(),
             "left_at": p.left_at.isoformat() if p.left_at else None,
             "seconds_in_call": participant_seconds(p, now)}
            for p in participants
        ],
        "events": [
            {"kind": e.kind, "at": e.at.isoformat(), "who": shown_name(e.user),
             "participant_id": str(e.participant_id) if e.participant_id else None, "detail": e.detail}
            for e in events
        ],
    }


def call_list_for_day(*, user, day: date) -> list[Call]:
    """The day's calls of the user's units (hosted or called) and the calls the user was invited to; missed first.
    Invitations come prefetched (a fixed number of queries for the whole list) for the row's outcome and callees."""
    unit_ids = list(StaffMembership.objects.filter(user=user).values_list("unit_id", flat=True))
    tz = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()), tz)
    end = start + timedelta(days=1)
    invitations = CallInvitation.objects.select_related("user", "unit", "answered_by").order_by("pk")
    calls = (Call.objects.filter(created_at__gte=start, created_at__lt=end)
             .filter(Q(host_unit_id__in=unit_ids) | Q(invitations__unit_id__in=unit_ids) | Q(invitations__user=user)
                     | Q(created_by=user))
             .distinct().select_related("host_unit", "booking__resident")
             .prefetch_related(Prefetch("invitations", queryset=invitations)))
    calls = list(calls)
    calls.sort(key=lambda c: (c.status != Call.Status.MISSED, -c.created_at.timestamp()))
    return calls


def called_resident(call: Call) -> User | None:
    """The resident an ad hoc call rang (residents are called by account; staff through their unit)."""
    if call.kind != Call.Kind.AD_HOC:
        return None
    return next((inv.user for inv in call.invitations.all()
                 if inv.purpose == CallInvitation.Purpose.CALLEE and inv.user and inv.user.is_resident), None)


def call_outcome(call: Call) -> str:
    """answered / missed / declined / ringing / ongoing / scheduled (booked, not started) / not_connected."""
    if call.status in (Call.Status.MISSED, Call.Status.SCHEDULED, Call.Status.RINGING):
        return call.status
    if call.status != Call.Status.ENDED:
        return "ongoing"
    if call.started_at:
        return "answered"
    declined = any(inv.status == CallInvitation.Status.DECLINED for inv in call.invitations.all())
    return "declined" if declined else "not_connected"


def call_duration_seconds(call: Call, now: datetime | None = None) -> int:
    if not call.started_at:
        return 0
    return int(((call.ended_at or now or timezone.now()) - call.started_at).total_seconds())


def shown_name(user) -> str | None:
    """How a person appears to staff in call lists: residents masked, staff by name."""
    if user is None:
        return None
    return mask_name(user.real_name) if user.is_resident else (user.real_name or user.username)


def invitation_summary(invitation: CallInvitation) -> dict:
    return {"user": shown_name(invitation.user), "unit": invitation.unit.name if invitation.unit else None,
            "purpose": invitation.purpose, "status": invitation.status,
            "answered_by": shown_name(invitation.answered_by),
            "answered_at": invitation.answered_at.isoformat() if invitation.answered_at else None}


def may_make_case(*, call: Call, agent_unit_ids: set[int]) -> bool:
    """Whether the viewer (an agent of agent_unit_ids) can turn this call into a case or attach one."""
    return not call.case_id and call.host_unit_id in agent_unit_ids and called_resident(call) is not None


# --- ICE servers ----------------------------------------------------------------------------------

def turn_credential(*, secret: str, user_id, expires_at: int) -> tuple[str, str]:
    """coturn's REST API scheme (use-auth-secret): username `expiry:user`, password base64(HMAC-SHA1)."""
    username = f"{expires_at}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(*, user, call: Call | None = None, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    ttl = int(getattr(settings, "TURN_CREDENTIAL_TTL", 3600))
    if call is not None and call.booking_id:
        # Valid for the rest of the booked session plus overrun, never less than the session itself.
        remaining = (call.booking.ends_at - now).total_seconds()
        ttl = int(max(remaining, call.booking.item.session_minutes * 60) + 1800)
    servers = []
    stun_urls = list(getattr(settings, "STUN_URLS", []))
    if stun_urls:
        servers.append({"urls": stun_urls})
    turn_urls = list(getattr(settings, "TURN_URLS", []))
    secret = getattr(settings, "TURN_SECRET", "")
    expires_at = int(now.timestamp()) + ttl
    if turn_urls and secret:
        username, credential = turn_credential(secret=secret, user_id=user.pk, expires_at=expires_at)
        servers.append({"urls": turn_urls, "username": username, "credential": credential})
    return {"iceServers": servers, "ttl": ttl, "expires_at": expires_at}
