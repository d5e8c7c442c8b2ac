"""Celery tasks of reviews: thin wrappers that load ids and call services (routing, SLA sweep)."""
from celery import shared_task
from django.db import InterfaceError, OperationalError

from core.logging import get_logger

log = get_logger(__name__)

# Transient database trouble (a restart, a dropped connection, a lock timeout) is retried with
# exponential backoff; anything else is a bug and fails loudly. acks_late and reject_on_worker_lost
# come from the global settings (CELERY_TASK_ACKS_LATE, CELERY_TASK_REJECT_ON_WORKER_LOST):
# a worker that dies mid-task leaves the message to be redelivered, and the service's claim
# makes the redelivery a no-op when the first run had committed.
TRANSIENT = (OperationalError, InterfaceError)


# Nothing reads a routing's result (the case row is the outcome, and no result backend is configured).
@shared_task(name="reviews.tasks.route_case", autoretry_for=TRANSIENT, retry_backoff=1, retry_backoff_max=60,
             retry_jitter=True, max_retries=8, ignore_result=True)
def route_case(case_id: int, submission_round: int) -> int | None:
    from reviews.services import case_route

    routed = case_route(case_id=case_id, submission_round=submission_round)
    return routed.unit_id if routed else None


@shared_task(name="reviews.tasks.sla_sweep", autoretry_for=TRANSIENT, retry_backoff=5, retry_backoff_max=30,
             max_retries=3, expires=55)
def sla_sweep() -> dict:
    from reviews.services import sla_sweep as sweep

    result = sweep()
    if result["warned"] or result["escalated"]:
        log.info("sla.sweep", **result)
    return result
