"""Benchmark of slot search and booking creation against a bare JSON endpoint, on Daphne + PostgreSQL.

    .venv/bin/python bench/bookings.py [--seconds 3] [--levels 1,16,64] [--processes 1]

Creates a fresh PostgreSQL database (bench_vc by default), migrates it, loads the organisation and
the catalog, creates residents with logged-in sessions, starts Daphne on a free loopback port and
drives it with aiohttp at each concurrency level for a few seconds per endpoint. Prints requests/s
and p50/p99 latency; the ratios are against the bare endpoint (/healthz: a plain Django JsonResponse
through the same middleware) measured in the same run. Not a test: nothing here asserts.
"""
import argparse
import asyncio
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
DAPHNE = str(ROOT / ".venv" / "bin" / "daphne")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per endpoint and level")
    parser.add_argument("--levels", default="1,16,64")
    parser.add_argument("--processes", type=int, default=1, help="Daphne processes sharing one socket")
    parser.add_argument("--database", default="bench_vc")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--residents", type=int, default=3000)
    parser.add_argument("--no-pool", action="store_true",
                        help="open a database connection per request instead of psycopg's pool")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/12",
                        help="shared cache for the Daphne processes (empty: per-process memory, one process only)")
    return parser.parse_args()


def run(cmd, env):
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare_database(args, env):
    admin = f"{args.pg}/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)", f"CREATE DATABASE {args.database}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, stdout=subprocess.DEVNULL)
    for command in (["migrate", "--noinput"], ["load_organisation"], ["load_catalog"]):
        run([PYTHON, "manage.py", *command], env)


def prepare_people(args):
    """Residents with database sessions (cookie + CSRF token), and the unit and item to book."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    from accounts.models import User
    from bookings.models import ServiceItem
    from stations.models import Unit

    unit = Unit.objects.filter(kind=Unit.Kind.TOWNSHIP_STATION).order_by("code").first()
    # Enough parallel lines that thousands of bookings fit in 14 days: we measure the write path, not "full".
    Unit.objects.filter(pk=unit.pk).update(video_lines=40)
    item = ServiceItem.objects.filter(session_minutes=15, active=True).order_by("code").first()
    users = User.objects.bulk_create([
        User(username=f"bench{i}", role=User.Role.RESIDENT, phone=f"137{i:08d}", password="!")
        for i in range(args.residents)])
    store = SessionStore()
    expires = timezone.now() + timezone.timedelta(hours=2)
    sessions = []
    for user in users:
        key = secrets.token_hex(16)
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
                HASH_SESSION_KEY: user.get_session_auth_hash()}
        sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
    Session.objects.bulk_create(sessions)
    from django.db import connection

    connection.close()
    return unit.pk, item.pk, [s.session_key for s in sessions], settings.SESSION_COOKIE_NAME


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_daphne(args, env):
    port = free_port()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    servers = [subprocess.Popen([DAPHNE, "--fd", str(listener.fileno()), "-v", "0", "config.asgi:application"],
                                cwd=ROOT, env=env, pass_fds=[listener.fileno()], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
               for _ in range(args.processes)]
    return port, servers, listener


async def wait_ready(base):
    import aiohttp

    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("Daphne did not start")


def stats(latencies, elapsed):
    latencies = sorted(latencies)
    if not latencies:
        return 0.0, 0.0, 0.0
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / elapsed, statistics.median(latencies), p99


async def measure(base, concurrency, seconds, make_request):
    """Keep `concurrency` requests in flight for `seconds`.

    `make_request(n, worker)` returns (method, url, kwargs, ok statuses, label); results are per label:
    {label: (requests/s, p50 ms, p99 ms, errors, statuses)}.
    """
    import aiohttp

    latencies, errors, statuses = {}, {}, {}
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        deadline = time.perf_counter() + seconds
        counter = iter(range(10**9))

        async def worker(index):
            while time.perf_counter() < deadline:
                method, url, kwargs, ok, label = make_request(next(counter), index)
                started = time.perf_counter()
                async with http.request(method, f"{base}{url}", **kwargs) as response:
                    await response.read()
                    seen = statuses.setdefault(label, {})
                    seen[response.status] = seen.get(response.status, 0) + 1
                    if response.status not in ok:
                        errors[label] = errors.get(label, 0) + 1
                latencies.setdefault(label, []).append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {label: (*stats(values, elapsed), errors.get(label, 0), statuses.get(label, {}))
            for label, values in latencies.items()}


async def bench(args, base, unit_id, item_id, session_keys, cookie_name):
    import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.datetime.now(zone).date()
    slots_url = (f"/api/v1/units/{unit_id}/slots/?item={item_id}&date_from={today.isoformat()}"
                 f"&date_to={(today + datetime.timedelta(days=14)).isoformat()}")
    import aiohttp

    async with aiohttp.ClientSession() as http, http.get(f"{base}{slots_url}") as response:
        slot_starts = [s["starts_at"] for s in (await response.json())["slots"]]
    sessions = iter(session_keys)
    csrf = secrets.token_hex(16)  # a 32-character unmasked secret: valid as both cookie and header

    def bare(i, worker):
        return "GET", "/healthz", {}, {200}, "bare"

    def slots(i, worker):
        return "GET", slots_url, {}, {200}, "slots"

    def booking(i, worker):
        key = next(sessions)
        return "POST", "/api/v1/bookings/", {
            "json": {"unit": unit_id, "item": item_id, "starts_at": slot_starts[i % len(slot_starts)]},
            "headers": {"Idempotency-Key": secrets.token_hex(8), "X-CSRFToken": csrf,
                        "Cookie": f"{cookie_name}={key}; csrftoken={csrf}", "Referer": base + "/",
                        "Origin": base},
        }, {201}, "booking"

    def mixed(i, worker):
        # Half the clients book at the unit while the other half search it: every booking
        # invalidates the cached answer, so this is slot search at its slowest.
        return booking(i, worker) if worker % 2 else slots(i, worker)

    print(f"slot search: one township station, 14 days, {len(slot_starts)} free slots in the answer")
    header = (f"{'endpoint':<30}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'× bare req/s':>14}"
              f"{'errors':>8}")
    print(header)
    print("-" * len(header))
    rows = []
    scenarios = (("bare JSON /healthz", bare, "bare"), ("slot search", slots, "slots"),
                 ("booking create", booking, "booking"), ("slot search while booking", mixed, "slots"))
    for level in [int(x) for x in args.levels.split(",")]:
        base_rps = None
        for name, maker, label in scenarios:
            if maker is mixed and level < 2:
                continue
            await measure(base, level, min(0.5, args.seconds / 4), bare if maker in (booking, mixed) else maker)
            result = await measure(base, level, args.seconds, maker)
            rps, p50, p99, errors, statuses = result[label]
            if label == "bare":
                base_rps = rps
            ratio = rps / base_rps
            if maker is mixed:
                ratio = result["slots"][0] / base_rps
                name = f"{name} ({result['booking'][0]:.0f} bookings/s)"
            rows.append((name, level, rps, p50, p99, ratio, errors))
            print(f"{name:<30}{level:>5}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{ratio:>14.2f}{errors:>8}"
                  + (f"  {statuses}" if errors else ""), flush=True)
    return rows


def main():
    args = parse_args()
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.database}", "DEBUG": "false", "LOG_LEVEL": "WARNING",
           "SMS_BACKEND": "accounts.sms.LocmemSmsBackend", "DJANGO_SETTINGS_MODULE": "config.settings",
           # Under ASGI every request runs in a fresh thread, so a persistent connection per thread is
           # never reused and piles up until the server runs out of connections: close after each request
           # (production puts PgBouncer in between).
           "CONN_MAX_AGE": "0"}
    env.pop("REDIS_URL", None)
    if args.redis:
        # The cached slot answers are invalidated through the cache: processes must share it.
        env.update(REDIS_URL=args.redis, CACHE_PREFIX=f"bench{os.getpid()}", CELERY_EAGER="true")
    elif args.processes > 1:
        raise SystemExit("--processes > 1 needs --redis: slot answers are invalidated through a shared cache")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    prepare_database(args, env)
    unit_id, item_id, session_keys, cookie_name = prepare_people(args)
    print(f"database {args.database} ready in {time.perf_counter() - started:.1f} s; "
          f"{len(session_keys)} residents; {args.processes} Daphne process(es); {os.cpu_count()} CPUs")
    if not args.no_pool:
        env["DB_POOL_MAX_SIZE"] = "20"  # the production setting: psycopg's pool (config/settings.py)
    print("database connections: " + ("one per request (CONN_MAX_AGE=0)" if args.no_pool
                                      else "psycopg pool, up to 20 per Daphne process"))
    port, servers, listener = start_daphne(args, env)
    try:
        base = f"http://127.0.0.1:{port}"
        asyncio.run(wait_ready(base))
        asyncio.run(bench(args, base, unit_id, item_id, session_keys, cookie_name))
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
        for server in servers:
            server.wait(timeout=10)
        listener.close()


if __name__ == "__main__":
    main()
