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
}
app.conf.beat_schedule = BEAT_SCHEDULE
_ = crontab
