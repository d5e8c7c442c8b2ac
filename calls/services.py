"""Writes to calls."""
from calls.models import Call


def booking_call_create(*, booking) -> Call:
    """The one call of a booked session; call inside the booking's transaction."""
    call, _ = Call.objects.get_or_create(booking=booking, defaults={"kind": Call.Kind.BOOKED,
                                                                   "host_unit_id": booking.unit_id})
    return call
