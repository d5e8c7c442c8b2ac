"""Benchmark of case routing: submit cases at a steady rate, one real Celery worker routes them.

    .venv/bin/python bench/routing.py [--rate 50] [--seconds 20] [--redis redis://127.0.0.1:6379/13]

Creates a fresh PostgreSQL database (bench_routing by default), migrates it, loads the organisation and
the catalog, creates reviewers (with seals) at the stations, workstations and departments that will
receive cases, and residents across three counties with complete bookings and draft cases (township,
county and city items mixed). Starts one worker process against Redis (by default the recommended
routing worker, `celery -A config worker -Q routing --pool threads -c 4`; --pool and --concurrency to
compare), then submits the cases open-loop at --rate per second for --seconds (each submit is the
real service: one transaction, route_case published on commit). Prints cases/s routed and the p50 / p99
latency from the submit's timestamp to the case's assigned_at, both written by the database's clients
on this machine. Bounded: the run stops waiting --drain seconds after the last submit. Not a test.
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
sys.path.insert(0, str(ROOT))
WORKER_LOG = "/tmp/bench-routing-worker.log"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="cases submitted per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to submit")
    parser.add_argument("--drain", type=float, default=30.0, help="longest wait for routing after the last submit")
    parser.add_argument("--submitters", type=int, default=2, help="threads submitting (open loop, paced)")
    parser.add_argument("--pool", default="threads", choices=["solo", "threads", "prefork"],
                        help="the pool of the one worker (celery worker --pool)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="its threads (--pool threads) or child processes (--pool prefork)")
    parser.add_argument("--database", default="bench_routing")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def run(cmd, env):
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_database(args, env):
    admin = f"{args.pg}/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)", f"CREATE DATABASE {args.database}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, stdout=subprocess.DEVNULL)
    for command in (["migrate", "--noinput"], ["load_organisation"], ["load_catalog"]):
        run([PYTHON, "manage.py", *command], env)


def prepare_cases(total: int) -> tuple[list[int], int]:
    """Reviewers at every unit the cases can reach, residents, bookings with materials, draft cases."""
    import datetime

    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import Booking, Material, MaterialRequirement, ServiceItem
    from reviews.models import Case, CaseEvent, CaseStatus
    from stations.models import Division, StaffMembership, Unit

    counties = list(Division.objects.filter(level=Division.Level.COUNTY).order_by("code")[:3])
    townships = [t for c in counties for t in c.children.order_by("code")[:4]]
    units = list(Unit.objects.filter(kind=Unit.Kind.TOWNSHIP_STATION, township__in=townships)) + list(
        Unit.objects.filter(kind=Unit.Kind.COUNTY_WORKSTATION, county__in=counties)) + list(
        Unit.objects.filter(kind__in=[Unit.Kind.CITY_DEPARTMENT, Unit.Kind.CITY_CENTRE]))
    staff = User.objects.bulk_create([User(username=f"bench-reviewer-{u.pk}-{n}", role=User.Role.REVIEWER,
                                           password="!") for u in units for n in range(2)])
    StaffMembership.objects.bulk_create([StaffMembership(user=user, unit=units[i // 2], is_reviewer=True,
                                                         is_seal_keeper=True, is_agent=True)
                                         for i, user in enumerate(staff)])
    items = [ServiceItem.objects.get(code=code) for code in ("C01-01", "C02-01", "C03-02", "C05-01", "C11-01")]
    requirements = {i.pk: list(MaterialRequirement.objects.filter(item=i, mandatory=True)) for i in items}
    residents = User.objects.bulk_create([
        User(username=f"bench-r{n}", role=User.Role.RESIDENT, phone=f"136{n:08d}", password="!",
             home_county=townships[n % len(townships)].parent, home_township=townships[n % len(townships)])
        for n in range(total)])
    station_of = {u.township_id: u for u in units if u.kind == Unit.Kind.TOWNSHIP_STATION}
    agent_of = {m.unit_id: m.user_id for m in StaffMembership.objects.filter(unit__in=units)}
    start = timezone.now() - datetime.timedelta(days=1)
    bookings = Booking.objects.bulk_create([
        Booking(unit=station_of[r.home_township_id], item=items[n % len(items)], resident=r, booked_by=r,
                starts_at=start, ends_at=start + datetime.timedelta(minutes=15), status="completed")
        for n, r in enumerate(residents)])
    Material.objects.bulk_create([
        Material(booking=b, requirement=req, file=f"bench/{b.pk}-{req.code}.png", file_type="png", size=1,
                 sha256="0" * 64, uploaded_by=b.resident)
        for b in bookings for req in requirements[b.item_id]])
    answers = {i.pk: {f["name"]: {"choice": (f.get("choices") or [""])[0], "date": "2026-11-01",
                                  "number": 1}.get(f["type"], "bench") for f in i.form_fields if f.get("required")}
               for i in items}
    cases = Case.objects.bulk_create([
        Case(booking=b, item=b.item, resident=b.resident, opened_unit=b.unit, opened_by_id=agent_of[b.unit_id],
             county=b.resident.home_county, township=b.resident.home_township, form_data=answers[b.item_id],
             status=CaseStatus.DRAFT) for b in bookings])
    CaseEvent.objects.bulk_create([CaseEvent(case=c, action="created", to_status="draft") for c in cases])
    return [c.pk for c in cases], staff[0].pk


def start_worker(env, *, pool: str, concurrency: int) -> subprocess.Popen:
    worker = subprocess.Popen(
        [CELERY, "-A", "config", "worker", "-Q", "routing", "--pool", pool, "-c", str(concurrency), "-l", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"bench-routing-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(WORKER_LOG, "w"), start_new_session=True)
    return worker


def wait_routed(case_ids, deadline: float) -> int:
    from reviews.models import Case

    while time.monotonic() < deadline:
        left = Case.objects.filter(pk__in=case_ids, assigned_at__isnull=True).count()
        if left == 0:
            return 0
        time.sleep(0.2)
    return Case.objects.filter(pk__in=case_ids, assigned_at__isnull=True).count()


def submit_all(case_ids, *, rate: float, submitters: int) -> float:
    """Submit the cases open-loop: case n is due at start + n / rate, whoever submits it."""
    from django.db import connections

    from accounts.models import User
    from reviews.models import Case
    from reviews.services import case_submit

    start = time.monotonic() + 0.5
    late = []

    def worker(offset: int):
        try:
            for n in range(offset, len(case_ids), submitters):
                due = start + n / rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                elif pause < -0.05:
                    late.append(-pause)
                case = Case.objects.get(pk=case_ids[n])
                case_submit(case=case, actor=User.objects.get(pk=case.opened_by_id))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(submitters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if late:
        print(f"  note: {len(late)} submits started >50 ms late (max {max(late) * 1000:.0f} ms): "
              f"the submitting side fell behind")
    return time.monotonic() - start


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.database}", "DATABASE_REPLICA_URL": "",
           "REDIS_URL": args.redis,
           "CELERY_EAGER": "false", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings",
           "SEALING_REQUIRED": "false", "MEDIA_ROOT": "/tmp/bench-routing-media"}
    os.environ.update(env)
    total = int(args.rate * args.seconds)
    print(f"preparing {args.database}: migrate, organisation, catalog, {total} cases ...", flush=True)
    prepare_database(args, env)
    case_ids, _ = prepare_cases(total + 20)
    warmup, measured = case_ids[:20], case_ids[20:]

    import redis

    redis.Redis.from_url(args.redis).delete("routing")
    worker = start_worker(env, pool=args.pool, concurrency=args.concurrency)
    try:
        submit_all(warmup, rate=20, submitters=1)
        if wait_routed(warmup, time.monotonic() + 60):
            raise SystemExit(f"the worker did not route the warm-up cases within 60 s: see {WORKER_LOG}")
        print(f"submitting {len(measured)} cases at {args.rate:g}/s for {args.seconds:g} s "
              f"({args.submitters} submitting threads, 1 worker process, pool {args.pool} x{args.concurrency}); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs ...", flush=True)
        submit_seconds = submit_all(measured, rate=args.rate, submitters=args.submitters)
        left = wait_routed(measured, time.monotonic() + args.drain)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)

    from django.db.models import Count

    from reviews.models import Case, CaseRouting

    rows = list(Case.objects.filter(pk__in=measured, assigned_at__isnull=False)
                .values_list("last_submitted_at", "assigned_at"))
    latencies = [(assigned - submitted).total_seconds() * 1000 for submitted, assigned in rows]
    first_submit = min(s for s, _ in rows)
    last_assigned = max(a for _, a in rows)
    doubles = (CaseRouting.objects.filter(case_id__in=measured).values("case_id").annotate(n=Count("pk"))
               .filter(n__gt=1).count())
    by_tier = dict(Case.objects.filter(pk__in=measured).values_list("tier").annotate(n=Count("pk")))
    print(f"submitted {len(measured)} in {submit_seconds:.1f} s ({len(measured) / submit_seconds:.1f}/s); "
          f"routed {len(rows)}, not routed {left}, routed twice {doubles}; tiers {by_tier}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    print(f"routed throughput: {len(rows) / (last_assigned - first_submit).total_seconds():.1f} cases/s")
    print(f"submit -> assignment latency: p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {percentile(latencies, 0.99):.1f} ms, max {max(latencies):.1f} ms")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", f"{args.pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"],
                       check=False, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
