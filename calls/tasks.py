"""Celery tasks of calls (thin: they call services)."""
from celery import shared_task

from calls import services


@shared_task(name="calls.tasks.call_sweep", ignore_result=True)
def call_sweep() -> int:
    """Every 15 s from beat: unanswered calls become missed, places dropped longer than the grace are freed."""
    return services.call_sweep()
