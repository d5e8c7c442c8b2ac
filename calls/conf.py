"""Tunables of the call room, read from settings at use time (tests override them with the settings fixture)."""
from django.conf import settings


def max_participants() -> int:
    # A full mesh: each peer sends its media to every other. Beyond 4 on a phone uplink an SFU is needed.
    return getattr(settings, "CALL_MAX_PARTICIPANTS", 4)


def reconnect_grace_seconds() -> int:
    return getattr(settings, "CALL_RECONNECT_GRACE_SECONDS", 60)


def ring_seconds() -> int:
    return getattr(settings, "CALL_RING_SECONDS", 60)


def socket_stale_seconds() -> int:
    """A socket not heard from for this long is treated as gone (its Daphne process may have died)."""
    return getattr(settings, "CALL_SOCKET_STALE_SECONDS", 90)


def message_max_bytes() -> int:
    return getattr(settings, "CALL_MESSAGE_MAX_BYTES", 64 * 1024)


def message_rate() -> tuple[float, float]:
    """Token bucket per socket: (refill per second, burst)."""
    return (float(getattr(settings, "CALL_MESSAGE_RATE", 20)), float(getattr(settings, "CALL_MESSAGE_BURST", 40)))
