"""What one routing costs in database round trips, and the worker keeping its database connection between
tasks. Counts, not timings: bench/routing.py measures the time."""
import pytest
from celery.fixups.django import DjangoWorkerFixup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Notification
from config.celery import _recycle_database_connections, app
from reviews import services
from reviews.models import Case, CaseEvent, CaseRouting, CaseStatus
from reviews.tasks import route_case
from tests.factories import client_for
from tests.support.places import STATION, TOWNSHIP_ITEM
from tests.support.reviews import agent_at, complete_materials, make_booking, reviewer_at

# Four reads (the case with its item and divisions; the candidate units; their reviewers, heads and seal keepers
# with their open cases; the closures for the deadline), the claim, the routing row, the timeline event and the
# notice (no read of the reviewer; the notice inside its savepoint), and the transaction's own statements. Raise it
# only knowing why.
ROUTING_QUERIES = 12


def _draft(resident):
    """A station agent and a draft case with all its materials: (agent, booking, case)."""
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(booking)
    case = services.case_create(actor=agent, booking=booking, form_data={"household_type": "本地户籍"})
    return agent, booking, case


def _submitted(resident):
    reviewer = reviewer_at(STATION)
    agent, _booking, case = _draft(resident)
    services.case_submit(case=case, actor=agent)  # inside the test's transaction: routed by hand below
    return reviewer, case


@pytest.mark.django_db
def test_routing_a_case_takes_a_fixed_number_of_queries(org, resident):
    reviewer, case = _submitted(resident)
    with CaptureQueriesContext(connection) as queries:
        routed = services.case_route(case_id=case.pk, submission_round=1)
    assert routed is not None and routed.reviewer_id == reviewer.pk
    assert len(queries) <= ROUTING_QUERIES, "\n".join(q["sql"][:200] for q in queries)
    case.refresh_from_db()
    assert case.status == CaseStatus.ASSIGNED and case.assignee == reviewer and case.due_at is not None
    assert CaseEvent.objects.filter(case=case, action=CaseEvent.Action.ROUTED).count() == 1
    assert Notification.objects.filter(user=reviewer, kind="case_assigned").count() == 1


@pytest.mark.django_db
def test_a_duplicate_delivery_costs_one_read(org, resident):
    _reviewer, case = _submitted(resident)
    services.case_route(case_id=case.pk, submission_round=1)
    with CaptureQueriesContext(connection) as queries:
        assert services.case_route(case_id=case.pk, submission_round=1) is None
    assert len(queries) == 1
    assert CaseRouting.objects.filter(case=case).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_returns_its_database_connection_to_the_pool_after_each_task(settings):
    pool = settings.DATABASES["default"].get("OPTIONS", {}).get("pool")
    if connection.vendor != "postgresql" or not pool:
        pytest.skip("psycopg's pool (PostgreSQL, on by default)")
    fixup = DjangoWorkerFixup(app)  # what a worker installs around each task
    backends = set()
    for _task in range(4):
        fixup.on_task_prerun(sender=route_case)
        _recycle_database_connections(task=route_case)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backends.add(cursor.fetchone()[0])
        fixup.on_task_postrun(sender=route_case)
        _recycle_database_connections(task=route_case)
        assert connection.connection is None  # given back: a burst of tasks cannot hold more than the pool
    assert len(backends) <= pool["max_size"]  # the pool's connections are reused, not opened per task


@pytest.mark.django_db(transaction=True)
def test_the_worker_replaces_a_broken_database_connection():
    if connection.vendor != "postgresql":
        pytest.skip("a dropped PostgreSQL connection")
    connection.ensure_connection()
    broken = connection.connection
    broken.close()  # as after a database restart
    connection.errors_occurred = True
    _recycle_database_connections(task=route_case)
    assert connection.connection is None  # dropped: the next query connects afresh
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_eager_tasks_leave_the_callers_connection_alone(org, resident):
    # An eager task runs inside the caller's transaction: closing "old" connections there would break it.
    reviewer, case = _submitted(resident)
    assert route_case.apply(args=(case.pk, 1)).get() is not None
    assert connection.in_atomic_block and connection.connection is not None
    assert Case.objects.get(pk=case.pk).assignee == reviewer


@pytest.mark.django_db
def test_submitting_a_case_takes_a_fixed_number_of_queries(org, resident):
    # Three reads (the case locked, with its form, its booking's maker and the agent's right; its materials; its
    # item's checklist, for bookings' rule of missing materials), the update and the timeline event, inside the
    # transaction's own two statements.
    agent, booking, case = _draft(resident)
    with CaptureQueriesContext(connection) as queries:
        services.case_submit(case=case, actor=agent)
    assert len(queries) <= 7, "\n".join(q["sql"][:200] for q in queries)
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED and case.materials_count == booking.materials.count() >= 1


@pytest.mark.django_db
def test_a_case_detail_reads_the_case_without_limit_and_the_materials_once(org, resident):
    # With a LIMIT (.get(), .first()) PostgreSQL also plans the detail's ten joins for a fraction of the rows:
    # about 8 ms of planning per read instead of 1.7, on every case API call.
    agent, booking, case = _draft(resident)
    with CaptureQueriesContext(connection) as queries:
        response = client_for(agent).get(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 200 and response.json()["materials"] and response.json()["missing_materials"] == []
    case_reads = [q["sql"] for q in queries if q["sql"].startswith('SELECT "reviews_case"."id", ')]
    assert case_reads and not any(" LIMIT " in sql for sql in case_reads)
    assert sum(' FROM "bookings_material"' in q["sql"] for q in queries) == 1
