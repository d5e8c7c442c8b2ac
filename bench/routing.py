"""Benchmark of case routing: submit cases at a steady rate, one real Celery worker routes them.

    .venv/bin/python bench/routing.py [--rate 50] [--seconds 20] [--redis redis://127.0.0.1:6379/13]

Creates a fresh PostgreSQL database (bench_routing by default), migrates it, loads the organisation and
the catalog, creates reviewers (with seals) at the stations, workstations and departments that will
receive cases, and residents across three counties with complete bookings and draft cases (township,
county and city items mixed); reads each case and its agent as the submit API view holds them. All that
happens before the timing. Starts one worker process against Redis as deployed (by default the recommended
routing worker, `celery -A config worker -Q routing --pool threads -c 4 --loglevel INFO --without-mingle`;
--pool, --concurrency and --log-level to compare; its log in /tmp/bench-routing-worker.log, the submitters'
in /tmp/bench-routing-submit.log), then submits the cases open-loop at --rate per second for --seconds
through the service the submit API calls (reviews.services.case_submit: one transaction, route_case
published on commit).

Prints the submit rate reached against the one asked (and says plainly when the submitting side fell
behind), cases/s routed, the p50 / p99 latency from the submit's timestamp to the case's assigned_at (both
written by the database's clients on this machine), the CPU per case of each side (the submitting threads,
the worker process, and the PostgreSQL backends of each, from /proc) and whether the target (p99 under
200 ms at the rate asked, every case routed once) was met. Bounded: the run stops waiting --drain seconds
after the last submit. Not a test.
"""
import argparse
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CELERY = str(ROOT / ".venv" / "bin" / "celery")
sys.path.insert(0, str(ROOT))
WORKER_LOG = "/tmp/bench-routing-worker.log"
SUBMIT_LOG = "/tmp/bench-routing-submit.log"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="cases submitted per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to submit")
    parser.add_argument("--drain", type=float, default=30.0, help="longest wait for routing after the last submit")
    parser.add_argument("--submitters", type=int, default=2, help="threads submitting (open loop, paced)")
    parser.add_argument("--via", default="service", choices=["service", "api"],
                        help="submit through reviews.services.case_submit, or POST the submit API in-process")
    parser.add_argument("--pool", default="threads", choices=["solo", "threads", "prefork"],
                        help="the pool of the one worker (celery worker --pool)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="its threads (--pool threads) or child processes (--pool prefork)")
    parser.add_argument("--log-level", default="INFO",
                        help=f"of the worker and the submitters (INFO as deployed; to {WORKER_LOG}, {SUBMIT_LOG})")
    parser.add_argument("--database", default="bench_routing")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    return parser.parse_args()


def run(cmd, env):
    subprocess.run(cmd, cwd=ROOT, env={**env, "LOG_LEVEL": "WARNING"}, check=True, stdout=subprocess.DEVNULL)


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


def start_worker(env, *, pool: str, concurrency: int, log_level: str) -> subprocess.Popen:
    """The routing worker as deployed (deploy/systemd/vc-celery-routing.service), its log to WORKER_LOG."""
    worker = subprocess.Popen(
        [CELERY, "-A", "config", "worker", "-Q", "routing", "--pool", pool, "-c", str(concurrency), "-l", log_level,
         "--without-mingle", "-n", f"bench-routing-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(WORKER_LOG, "w"), start_new_session=True)
    return worker


def log_to_file(path: str) -> None:
    """The submitters' log (the service's own lines) to a file rather than the terminal."""
    import logging

    stream = open(path, "w")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(stream)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (all their threads), from /proc."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def session_pids(session: int) -> list[int]:
    """The worker and, with --pool prefork, its children (they share the worker's session)."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[3]) == session:
                        pids.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def backend_pids(database: str) -> list[int]:
    """The PostgreSQL backends serving the bench's database, but the caller's own."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database])
        return [pid for (pid,) in cursor.fetchall()]


def own_backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


class BackendSampler(threading.Thread):
    """Samples the CPU of the database's backends every 0.1 s until stopped: a backend that closes meanwhile
    (Celery's Django fix-up recycles the worker's connections every CELERY_DB_REUSE_MAX tasks) keeps its last
    sample, one that opens counts from zero."""

    def __init__(self, database: str, exclude: set[int]):
        super().__init__(daemon=True)
        self.database, self.exclude = database, exclude
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.done = threading.Event()
        self.sample(baseline=True)

    def sample(self, baseline: bool = False) -> None:
        for pid in backend_pids(self.database):
            if pid not in self.exclude:
                cpu = cpu_seconds([pid])
                self.first.setdefault(pid, cpu if baseline else 0.0)
                self.last[pid] = cpu

    def run(self) -> None:
        from django.db import connections

        try:
            while not self.done.wait(0.1):
                self.sample()
            self.sample()
        finally:
            connections.close_all()

    def stop(self, *, excluding: set[int]) -> float:
        """Stop; the CPU seconds of the backends sampled, but those `excluding`."""
        self.done.set()
        self.join()
        return sum(self.last[pid] - self.first[pid] for pid in self.last if pid not in excluding)


def wait_routed(case_ids, deadline: float) -> int:
    from reviews.models import Case

    while time.monotonic() < deadline:
        left = Case.objects.filter(pk__in=case_ids, assigned_at__isnull=True).count()
        if left == 0:
            return 0
        time.sleep(0.2)
    return Case.objects.filter(pk__in=case_ids, assigned_at__isnull=True).count()


@dataclass
class Submitted:
    seconds: float  # from the first due time to the last submit's return
    late: list[float] = field(default_factory=list)  # how late each late submit started, seconds
    python_cpu: float = 0.0  # CPU of the submitting threads (thread_time), seconds
    database_cpu: float = 0.0  # CPU of their PostgreSQL backends, seconds
    backends: set[int] = field(default_factory=set)  # the pids of those backends


def load_submissions(case_ids) -> list[tuple]:
    """Each case with the agent who opened it, as the submit API view holds them (read before the timing)."""
    from accounts.models import User
    from reviews.models import Case

    cases = Case.objects.in_bulk(case_ids)
    agents = User.objects.in_bulk({case.opened_by_id for case in cases.values()})
    return [(cases[pk], agents[cases[pk].opened_by_id]) for pk in case_ids]


def service_submitter():
    from reviews.services import case_submit

    def submit(case, agent):
        case_submit(case=case, actor=agent)

    return submit


def api_submitter(agents):
    """POST /api/v1/cases/{id}/submit/ through Django's request handler (middleware, session authentication, the
    view, its response), as the case's agent, signed in beforehand. Django's test client: in-process, no HTTP
    server, and no close_old_connections around the request."""
    from django.test import Client

    clients = {}
    for agent in agents:
        clients[agent.pk] = Client(HTTP_HOST="localhost")
        clients[agent.pk].force_login(agent)

    def submit(case, agent):
        response = clients[agent.pk].post(f"/api/v1/cases/{case.pk}/submit/")
        if response.status_code != 200:
            raise RuntimeError(f"case {case.pk}: HTTP {response.status_code} {response.content[:300]!r}")

    return submit


def submit_all(submissions, *, rate: float, submitters: int, via: str = "service") -> Submitted:
    """Submit open-loop, through the service the submit API calls (reviews.services.case_submit) or that API
    itself: submission n is due at start + n / rate, whichever thread submits it; a late one starts at once
    (catching up)."""
    from django.db import connections

    agents = list({agent.pk: agent for _case, agent in submissions}.values())
    submits = [api_submitter(agents) if via == "api" else service_submitter() for _ in range(submitters)]
    result = Submitted(seconds=0.0)
    lock = threading.Lock()
    start = time.monotonic() + 0.5

    def submitter(offset: int):
        try:
            backend = own_backend_pid()  # connected before the first due time
            with lock:
                result.backends.add(backend)
            database_before, python_before = cpu_seconds([backend]), time.thread_time()
            for n in range(offset, len(submissions), submitters):
                pause = start + n / rate - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                elif pause < -0.05:
                    with lock:
                        result.late.append(-pause)
                submits[offset](*submissions[n])
            with lock:
                result.python_cpu += time.thread_time() - python_before
                result.database_cpu += cpu_seconds([backend]) - database_before
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(submitters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - start
    return result


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def report(args, measured, submitted: Submitted, left: int, worker_cpu: float, worker_database_cpu: float):
    from django.db.models import Count

    from reviews.models import Case, CaseRouting

    rows = list(Case.objects.filter(pk__in=measured, assigned_at__isnull=False)
                .values_list("last_submitted_at", "assigned_at"))
    latencies = [(assigned - submitted_at).total_seconds() * 1000 for submitted_at, assigned in rows]
    first_submit = min(s for s, _ in rows)
    last_assigned = max(a for _, a in rows)
    doubles = (CaseRouting.objects.filter(case_id__in=measured).values("case_id").annotate(n=Count("pk"))
               .filter(n__gt=1).count())
    by_tier = dict(Case.objects.filter(pk__in=measured).values_list("tier").annotate(n=Count("pk")))
    count = len(measured)
    achieved = count / submitted.seconds
    kept_up = achieved >= 0.98 * args.rate
    late = (f"; {len(submitted.late)} submits started more than 50 ms late (up to "
            f"{max(submitted.late) * 1000:.0f} ms)" if submitted.late else "")
    print(f"submitted {count} in {submitted.seconds:.1f} s: {achieved:.1f}/s of the {args.rate:g}/s asked"
          + (" (kept up" if kept_up else " (THE SUBMITTING SIDE FELL BEHIND") + late + ")")
    print(f"routed {len(rows)}, not routed {left}, routed twice {doubles}; tiers {by_tier}")
    print(f"routed throughput: {len(rows) / (last_assigned - first_submit).total_seconds():.1f} cases/s")
    p99 = percentile(latencies, 0.99)
    print(f"submit -> assignment latency: p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {p99:.1f} ms, max {max(latencies):.1f} ms")
    per_case = [submitted.python_cpu, submitted.database_cpu, worker_cpu, worker_database_cpu]
    submit_ms, submit_db_ms, worker_ms, worker_db_ms = (seconds * 1000 / count for seconds in per_case)
    total_ms = sum(per_case) * 1000 / count
    print(f"CPU per case: submitting {submit_ms:.1f} ms (+ PostgreSQL {submit_db_ms:.1f} ms), routing worker "
          f"{worker_ms:.1f} ms (+ PostgreSQL {worker_db_ms:.1f} ms): {total_ms:.1f} ms, "
          f"{total_ms * args.rate / 1000:.2f} CPUs at {args.rate:g}/s")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    met = kept_up and not left and not doubles and p99 < 200
    print(f"target p99 < 200 ms at {args.rate:g} cases/s: {'met' if met else 'NOT met'}"
          + ("" if kept_up else " (the rate asked was not reached)"))


def main():
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.database}", "DATABASE_REPLICA_URL": "",
           "REDIS_URL": args.redis,
           "CELERY_EAGER": "false", "LOG_LEVEL": args.log_level, "DJANGO_SETTINGS_MODULE": "config.settings",
           "SEALING_REQUIRED": "false", "MEDIA_ROOT": "/tmp/bench-routing-media"}
    os.environ.update(env)
    total = int(args.rate * args.seconds)
    print(f"preparing {args.database}: migrate, organisation, catalog, {total} cases ...", flush=True)
    prepare_database(args, env)
    case_ids, _ = prepare_cases(total + 20)
    log_to_file(SUBMIT_LOG)
    submissions = load_submissions(case_ids)
    warmup, measured = submissions[:20], submissions[20:]
    measured_ids = case_ids[20:]

    import redis

    redis.Redis.from_url(args.redis).delete("routing")
    worker = start_worker(env, pool=args.pool, concurrency=args.concurrency, log_level=args.log_level)
    try:
        submit_all(warmup, rate=20, submitters=1, via=args.via)
        if wait_routed(case_ids[:20], time.monotonic() + 60):
            raise SystemExit(f"the worker did not route the warm-up cases within 60 s: see {WORKER_LOG}")
        pool = args.pool if args.pool == "solo" else f"{args.pool} x{args.concurrency}"
        print(f"submitting {len(measured)} cases at {args.rate:g}/s for {args.seconds:g} s "
              f"(via the {args.via}, {args.submitters} submitting threads, 1 worker process, pool {pool}); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs ...", flush=True)
        worker_before = cpu_seconds(session_pids(worker.pid))
        sampler = BackendSampler(args.database, exclude={own_backend_pid()})  # the worker's and the submitters'
        sampler.start()
        submitted = submit_all(measured, rate=args.rate, submitters=args.submitters, via=args.via)
        left = wait_routed(measured_ids, time.monotonic() + args.drain)
        worker_cpu = cpu_seconds(session_pids(worker.pid)) - worker_before
        worker_database_cpu = sampler.stop(excluding=submitted.backends)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
    report(args, measured_ids, submitted, left, worker_cpu, worker_database_cpu)
    if not args.keep:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", f"{args.pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)"],
                       check=False, stdout=subprocess.DEVNULL)


if __name__ == "__main__":
    main()
