"""The waiting room: who waits for a unit's agents, in what order, with which papers."""
import math
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from accounts.validators import mask_name
from bookings import selectors as booking_selectors
from bookings.models import Booking
from calls import conf
from calls.models import Call, Participant


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
