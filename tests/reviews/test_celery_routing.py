"""Routing through Celery: the settings in force, retries, and a real worker against real Redis routing a
submitted case exactly once, also when the task is delivered twice."""
import os
import threading
import time

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import OperationalError, connection, connections

from accounts.models import Notification
from config.celery import app
from reviews import services
from reviews.models import Case, CaseEvent, CaseRouting, CaseStatus
from reviews.tasks import route_case, sla_sweep
from tests.support.places import STATION, TOWNSHIP_ITEM
from tests.support.reviews import agent_at, complete_materials, make_booking, reviewer_at


def test_route_case_options_in_force():
    # A misspelt setting is silently ignored: read what the task actually runs with.
    assert route_case.acks_late is True
    assert route_case.reject_on_worker_lost is True
    assert app.conf.task_acks_late is True and app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert route_case.autoretry_for == (OperationalError, type(route_case.autoretry_for[1]("")))
    assert route_case.retry_backoff and route_case.max_retries >= 3


def test_routes_in_force_send_tasks_to_their_queues():
    router = app.amqp.router
    assert router.route({}, route_case.name, (), {})["queue"].name == "routing"
    assert router.route({}, sla_sweep.name, (), {})["queue"].name == "sla"
    assert router.route({}, "accounts.tasks.send_sms_task", (), {})["queue"].name == "notifications"


def test_sla_sweep_is_scheduled_every_minute():
    entry = app.conf.beat_schedule["reviews-sla-sweep"]
    assert entry["task"] == "reviews.tasks.sla_sweep"
    assert entry["schedule"].remaining_estimate is not None
    assert str(entry["schedule"]) == str(app.conf.beat_schedule["reviews-sla-sweep"]["schedule"])
    assert entry["schedule"].minute == set(range(60))


def _submitted_case(org, resident):
    reviewer = reviewer_at(STATION)
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(booking)
    case = services.case_create(actor=agent, booking=booking, form_data={"household_type": "本地户籍"})
    return reviewer, agent, case


@pytest.mark.django_db
def test_transient_database_error_is_retried(org, resident, monkeypatch):
    reviewer, agent, case = _submitted_case(org, resident)
    services.case_submit(case=case, actor=agent)  # on_commit never fires here: route by hand below
    calls = []
    real = services.case_route

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real(**kwargs)

    monkeypatch.setattr(services, "case_route", flaky)
    # Eager: the retry runs at once (no countdown).
    route_case.apply(args=(case.pk, 1), throw=False)
    assert len(calls) == 2
    assert Case.objects.get(pk=case.pk).assignee == reviewer


@pytest.mark.django_db
def test_duplicate_delivery_assigns_once(org, resident):
    reviewer, agent, case = _submitted_case(org, resident)
    services.case_submit(case=case, actor=agent)
    first = route_case.apply(args=(case.pk, 1)).get()
    second = route_case.apply(args=(case.pk, 1)).get()
    assert first is not None and second is None
    assert CaseRouting.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ROUTED).count() == 1
    assert Notification.objects.filter(user=reviewer, kind="case_assigned").count() == 1
    # A stale task from an earlier round does nothing either.
    assert route_case.apply(args=(case.pk, 0)).get() is None


needs_real_services = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs a real Redis (REDIS_URL)")


@needs_real_services
@pytest.mark.django_db(transaction=True)
def test_concurrent_redelivery_claims_once(org, resident):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims need PostgreSQL")
    reviewer, agent, case = _submitted_case(org, resident)
    services.case_submit(case=case, actor=agent)  # routed at once (eager, after the commit): undo that routing
    CaseRouting.objects.filter(case=case).delete()
    CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ROUTED).delete()
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.SUBMITTED, unit=None, assignee=None, tier="",
                                           due_at=None, warn_at=None, sla_started_at=None)
    Notification.objects.filter(user=reviewer).delete()
    barrier = threading.Barrier(4)
    results = []

    def deliver():
        try:
            barrier.wait()
            results.append(services.case_route(case_id=case.pk, submission_round=1))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r is not None for r in results) == 1
    assert CaseRouting.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ROUTED).count() == 1
    assert Notification.objects.filter(user=reviewer, kind="case_assigned").count() == 1


@pytest.fixture
def routing_worker(transactional_db):
    """A real Celery worker (in a thread) consuming the routing queue from the real Redis broker."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker thread needs a database shared across connections (PostgreSQL)")
    finished = []

    def on_postrun(sender=None, task_id=None, retval=None, **_):
        finished.append((task_id, retval))
        connections.close_all()  # the worker thread's own connections: none left open at teardown

    task_postrun.connect(on_postrun, weak=False)
    app.conf.task_always_eager = False
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge("routing")
    try:
        with start_worker(app, perform_ping_check=False, queues=["routing"], loglevel="WARNING",
                          shutdown_timeout=20):
            yield finished
    finally:
        app.conf.task_always_eager = True
        task_postrun.disconnect(on_postrun)


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@needs_real_services
def test_real_worker_assigns_a_submitted_case_exactly_once(routing_worker, org, resident):
    reviewer, agent, case = _submitted_case(org, resident)
    services.case_submit(case=case, actor=agent)  # commits; on_commit publishes route_case to Redis
    assert _wait(lambda: Case.objects.get(pk=case.pk).status == CaseStatus.ASSIGNED), "not routed in time"
    routed = Case.objects.get(pk=case.pk)
    assert routed.assignee == reviewer and routed.unit.code == STATION
    assert routed.due_at > routed.assigned_at

    # The same delivery again (a redelivered message: same task id) and a second publish.
    first_id = routing_worker[0][0]
    route_case.apply_async(args=(case.pk, 1), task_id=first_id)
    duplicate = route_case.delay(case.pk, 1)
    assert _wait(lambda: len(routing_worker) >= 3 and duplicate.id in {t for t, _ in routing_worker})
    assert [r for _, r in routing_worker] == [routed.unit_id, None, None]
    assert CaseRouting.objects.filter(case=case).count() == 1
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ROUTED).count() == 1
    assert Notification.objects.filter(user=reviewer, kind="case_assigned").count() == 1
