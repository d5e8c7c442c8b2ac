"""Notices to a booking's parties (the resident and, for a proxy booking, whoever booked it)."""
from accounts.notifications import notification_send
from bookings import selectors
from bookings.models import Booking


def local_time(dt) -> str:
    return dt.astimezone(selectors.local_zone()).strftime("%Y-%m-%d %H:%M")


def notify_parties(booking: Booking, *, event: str, kind: str, title: str, body: str) -> None:
    """The resident and, for a proxy booking, the proxy; `event` makes the key unique per occurrence."""
    for user in {booking.resident_id: booking.resident, booking.booked_by_id: booking.booked_by}.values():
        notification_send(user=user, event_key=f"booking:{booking.pk}:{event}:{user.pk}", kind=kind, title=title,
                          body=body, link=f"/me/bookings/{booking.pk}/", sms=True)


def booking_summary(booking: Booking) -> dict:
    return {"unit": booking.unit.name, "item": booking.item.name, "time": local_time(booking.starts_at)}
