"""The call log: the day's calls, their outcome and duration, and how people are named in it."""
from datetime import date, datetime, timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import User
from accounts.validators import mask_name
from calls.models import Call, CallInvitation, Participant
from stations.models import StaffMembership


def participant_seconds(participant: Participant, now: datetime) -> int:
    seconds = participant.seconds_in_call
    if participant.state == Participant.State.ADMITTED and participant.admitted_at and participant.channel_name:
        seconds += int((now - participant.admitted_at).total_seconds())
    return seconds


def call_list_for_day(*, user, day: date) -> list[Call]:
    """The day's calls of the user's units (hosted or called) and the calls the user was invited to; missed first.
    Invitations come prefetched (a fixed number of queries for the whole list) for the row's outcome and callees;
    each call carries `viewer_may_make_case` (may_make_case for this user)."""
    memberships = list(StaffMembership.objects.filter(user=user).values_list("unit_id", "is_agent"))
    unit_ids = [unit_id for unit_id, _is_agent in memberships]
    agent_unit_ids = {unit_id for unit_id, is_agent in memberships if is_agent}
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
    for call in calls:
        call.viewer_may_make_case = may_make_case(call=call, agent_unit_ids=agent_unit_ids)
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


def may_make_case(*, call: Call, agent_unit_ids: set[int]) -> bool:
    """Whether the viewer (an agent of agent_unit_ids) can turn this call into a case or attach one."""
    return not call.case_id and call.host_unit_id in agent_unit_ids and called_resident(call) is not None
