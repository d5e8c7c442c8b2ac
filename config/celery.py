"""The Celery app. Periodic tasks are declared here so the schedule is in one place."""
import os

from celery import Celery, signals
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Database connections in the worker live like a Daphne request's: kept for CONN_MAX_AGE, health-checked
# before use, dropped after an error. Celery's Django fix-up would otherwise close every connection before
# and after each task (a new PostgreSQL backend per task: connection set-up, authentication and cold
# catalogue caches on every routing); with this count it only recycles them every 500 tasks.
app.conf.CELERY_DB_REUSE_MAX = 500


@signals.setup_logging.connect
def _use_the_projects_logging(**_kwargs) -> None:
    """The worker and beat log through Django's LOGGING, like the web processes: structured and with ID and
    phone numbers redacted. Without a receiver here Celery replaces the root handlers with its own plain ones,
    and an exception's text (an IntegrityError's "Failing row contains …") would reach the log unredacted."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.task_prerun.connect
@signals.task_postrun.connect
def _recycle_database_connections(task=None, **_kwargs) -> None:
    if task is None or getattr(task.request, "is_eager", False):
        return  # an eager task runs inside its caller's connection (and transaction)
    from django.db import close_old_connections

    close_old_connections()


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
    "signing-crl-refresh": {"task": "signing.crl_refresh", "schedule": crontab(minute=17, hour=3),
                            "options": {"expires": 3000}},
}
app.conf.beat_schedule = BEAT_SCHEDULE
_ = crontab
