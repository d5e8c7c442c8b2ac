"""The Celery app. Periodic tasks are declared here so the schedule is in one place."""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

BEAT_SCHEDULE = {
    # Filled in by the apps as they land: "name": {"task": "...", "schedule": crontab(...)}
    # Unanswered calls end as missed after 60 s; dropped call places are freed after their 60 s grace.
    "calls-sweep": {"task": "calls.tasks.call_sweep", "schedule": 15.0},
    # Review deadlines: warn at 80 %, escalate overdue cases (deadlines live in the database, no long ETAs).
    "reviews-sla-sweep": {"task": "reviews.tasks.sla_sweep", "schedule": crontab(), "options": {"expires": 55}},
    # Bookings: 30-minute reminders, no-shows after the grace period, waiting-list holds that ran out.
    "bookings-reminders": {"task": "bookings.tasks.send_booking_reminders", "schedule": 60.0,
                           "options": {"expires": 55}},
    "bookings-no-shows": {"task": "bookings.tasks.mark_no_shows", "schedule": 60.0, "options": {"expires": 55}},
    "bookings-waitlist-offers": {"task": "bookings.tasks.expire_waitlist_offers", "schedule": 30.0,
                                 "options": {"expires": 25}},
    "bookings-idempotency-purge": {"task": "bookings.tasks.purge_idempotency_records", "schedule": crontab(minute=7),
                                   "options": {"expires": 3000}},
    # Signing: a signed Merkle checkpoint over the ledger (no-op when nothing was appended).
    "signing-checkpoint": {"task": "signing.checkpoint", "schedule": crontab(minute="*/10"),
                           "options": {"expires": 540}},
}
app.conf.beat_schedule = BEAT_SCHEDULE
_ = crontab
