"""What calls does when a lower app's data changes (registered in CallsConfig.ready)."""
from calls.services import booking_call_open


def booking_saved(sender, instance, created: bool, raw: bool = False, **kwargs):
    """A new booking gets its call in the same transaction as its insert (fixtures loaded raw excepted)."""
    if created and not raw:
        booking_call_open(booking=instance)
