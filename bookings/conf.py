"""Booking rules that operators may tune: read from Django settings, else from the environment, strictly."""
from django.conf import settings

from core.env import env_int

DEFAULTS = {
    # No change (cancel / reschedule) by the resident or proxy later than this before the start.
    "BOOKING_CHANGE_CUTOFF_MINUTES": env_int("BOOKING_CHANGE_CUTOFF_MINUTES", default=120),
    # A booked resident who has not checked in this long after the start is marked no-show.
    "BOOKING_NO_SHOW_GRACE_MINUTES": env_int("BOOKING_NO_SHOW_GRACE_MINUTES", default=15, minimum=1),
    "BOOKING_MIN_NOTICE_MINUTES": env_int("BOOKING_MIN_NOTICE_MINUTES", default=30),
    "BOOKING_HORIZON_DAYS": env_int("BOOKING_HORIZON_DAYS", default=14, minimum=1),
    # Gap after each session (notes, next resident); part of the length a session takes on the grid.
    "BOOKING_BUFFER_MINUTES": env_int("BOOKING_BUFFER_MINUTES", default=5),
    # The grid that video lines are counted on: every booking covers whole cells.
    "BOOKING_GRID_MINUTES": env_int("BOOKING_GRID_MINUTES", default=10, minimum=5),
    "BOOKING_REMINDER_MINUTES": env_int("BOOKING_REMINDER_MINUTES", default=30, minimum=1),
    "WAITLIST_HOLD_MINUTES": env_int("WAITLIST_HOLD_MINUTES", default=15, minimum=1),
    "MATERIAL_MAX_BYTES": env_int("MATERIAL_MAX_BYTES", default=10 * 1024 * 1024, minimum=1024),
    "MATERIAL_MAX_PER_BOOKING": env_int("MATERIAL_MAX_PER_BOOKING", default=20, minimum=1),
}


def booking_setting(name: str) -> int:
    return getattr(settings, name, DEFAULTS[name])
