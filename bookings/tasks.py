"""Beat sweeps of bookings: thin, each calls one service. Deadlines live in the database, not in task ETAs."""
from celery import shared_task

from bookings import services


@shared_task(name="bookings.tasks.send_booking_reminders")
def send_booking_reminders() -> int:
    return services.booking_reminders_send()


@shared_task(name="bookings.tasks.mark_no_shows")
def mark_no_shows() -> int:
    return services.bookings_mark_no_show()


@shared_task(name="bookings.tasks.expire_waitlist_offers")
def expire_waitlist_offers() -> int:
    return services.waitlist_offers_expire()


@shared_task(name="bookings.tasks.purge_idempotency_records")
def purge_idempotency_records() -> int:
    return services.idempotency_records_purge()
