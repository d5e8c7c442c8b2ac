"""Benchmark of slot search and booking creation against a bare JSON endpoint, per HTTP server, on PostgreSQL.

    .venv/bin/python bench/bookings.py [--seconds 3] [--levels 1,16,64] [--processes 2]
                                       [--servers daphne,granian] [--clients aiohttp,wrk]

Creates a fresh PostgreSQL database (bench_vc by default), migrates it, loads the organisation and
the catalog, creates residents with logged-in sessions, then for each server in turn starts it on a
free loopback port and drives it at each concurrency level for a few seconds per endpoint, with aiohttp
(Python, in this process) and/or wrk (C, `apt-get install wrk`; a Lua script gives every booking its own
resident, slot and key), both on the same two CPUs as the server.
Prints requests/s and p50/p99 latency; the ratios are against the bare endpoint (/healthz: a plain Django
JsonResponse through the same middleware) measured on the same server in the same run. Servers: daphne
(ASGI, Twisted), uvicorn (ASGI, uvloop + httptools), granian (WSGI, Rust HTTP with blocking threads),
granian-asgi. Not a test: nothing here asserts.
"""
import argparse
import asyncio
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
BIN = ROOT / ".venv" / "bin"
SERVERS = ("daphne", "uvicorn", "granian", "granian-asgi")
CLIENTS = ("aiohttp", "wrk")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per endpoint and level")
    parser.add_argument("--levels", default="1,16,64")
    parser.add_argument("--processes", type=int, default=1, help="server processes (workers) per server")
    parser.add_argument("--servers", default="daphne",
                        help=f"comma-separated, measured one after the other: {', '.join(SERVERS)}")
    parser.add_argument("--clients", default="aiohttp",
                        help=f"load generators, comma-separated, each measures every level: {', '.join(CLIENTS)}")
    parser.add_argument("--threads", type=int, default=16, help="granian: blocking threads per worker")
    parser.add_argument("--granian-args", default="", help="more granian options, e.g. '--backpressure 8'")
    parser.add_argument("--switch-interval-ms", default="",
                        help="the server processes' GIL switch interval (GIL_SWITCH_INTERVAL_MS; Python's default 5)")
    parser.add_argument("--database", default="bench_vc")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--residents", type=int, default=8000, help="one booking each, over all servers")
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
    Unit.objects.filter(pk=unit.pk).update(video_lines=100)
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


def start_server(args, env, server):
    """Start `args.processes` processes of `server` on a free loopback port; (port, processes, listener)."""
    port = free_port()
    quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "start_new_session": True}
    if server.startswith("granian"):
        # Granian runs its own workers on one port; the WSGI interface skips ASGI's per-request thread.
        if server == "granian-asgi":
            interface = ["--interface", "asginl", "config.asgi:application"]
        else:
            interface = ["--interface", "wsgi", "--blocking-threads", str(args.threads), "config.wsgi:application"]
        command = [str(BIN / "granian"), "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.processes),
                   "--no-access-log", "--log-level", "warning", *args.granian_args.split(), *interface]
        return port, [subprocess.Popen(command, **quiet)], None
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    fd = str(listener.fileno())
    if server == "uvicorn":
        command = [str(BIN / "uvicorn"), "--fd", fd, "--loop", "uvloop", "--http", "httptools", "--lifespan", "off",
                   "--no-access-log", "--log-level", "warning", "config.asgi:application"]
    else:
        command = [str(BIN / "daphne"), "--fd", fd, "-v", "0", "config.asgi:application"]
    processes = [subprocess.Popen(command, pass_fds=[listener.fileno()], **quiet) for _ in range(args.processes)]
    return port, processes, listener


def stop_server(processes, listener):
    for process in processes:
        os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if listener is not None:
        listener.close()


async def wait_ready(base, processes):
    import aiohttp

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        for _ in range(200):
            if any(process.poll() is not None for process in processes):
                raise SystemExit("the server exited at start (run its command by hand to see why)")
            try:
                async with http.get(f"{base}/healthz") as response:
                    if response.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _process_table() -> dict[int, tuple[str, int, float]]:
    """pid -> (command, parent pid, CPU seconds of it and of its reaped children), from /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                head, rest = handle.read().rsplit(")", 1)
        except OSError:  # gone meanwhile
            continue
        fields = rest.split()  # fields[0] is the state; utime, stime, cutime, cstime are fields[11:15]
        table[int(entry)] = (head.split("(", 1)[1], int(fields[1]), sum(map(int, fields[11:15])) / CLOCK_TICKS)
    return table


def cpu_snapshot(server_pids) -> dict[str, float]:
    """CPU seconds so far of the server's process trees, of PostgreSQL and of the load generator (this process
    and its reaped children, i.e. wrk). A process that exits counts in its parent's reaped-children time."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (_command, parent, _cpu) in table.items():
        children.setdefault(parent, []).append(pid)
    server, todo = 0.0, list(server_pids)
    while todo:
        pid = todo.pop()
        if pid in table:
            server += table[pid][2]
            todo += children.get(pid, [])
    own = os.times()
    return {"server": server, "pg": sum(cpu for command, _parent, cpu in table.values() if command == "postgres"),
            "client": own.user + own.system + own.children_user + own.children_system}


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


class Keys:
    """The residents' session keys, each used for one booking over the whole run."""

    def __init__(self, keys):
        self.keys, self.next = keys, 0

    def take(self) -> str:
        self.next += 1
        return self.keys[self.next - 1]

    def ahead(self) -> list[str]:
        return self.keys[self.next:]


# One Lua state per wrk thread; the bench runs wrk with one thread, so `used` counts this run's bookings.
WRK_LUA = r"""
local mode, path, base, csrf, cookie_name, unit, item, slot0 = %(head)s
local keys = %(keys)s
local slots = %(slots)s
used, statuses = 0, {}
local threads = {}

function setup(thread) table.insert(threads, thread) end

if mode == "booking" then
  function request()
    used = used + 1
    local slot = slots[(slot0 + used - 1) %% #slots + 1]
    local body = string.format('{"unit": %%d, "item": %%d, "starts_at": "%%s"}', unit, item, slot)
    return wrk.format("POST", path, {
      ["Content-Type"] = "application/json", ["Idempotency-Key"] = "wrk" .. used, ["X-CSRFToken"] = csrf,
      ["Cookie"] = cookie_name .. "=" .. keys[(used - 1) %% #keys + 1] .. "; csrftoken=" .. csrf,
      ["Referer"] = base .. "/", ["Origin"] = base}, body)
  end
end

function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end

function done(summary, latency, requests)
  local total_used, seen = 0, {}
  for _, thread in ipairs(threads) do
    total_used = total_used + thread:get("used")
    for status, count in pairs(thread:get("statuses")) do seen[status] = (seen[status] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(seen) do table.insert(parts, status .. ":" .. count) end
  io.write(string.format("RESULT %%d %%d %%.3f %%.3f %%d %%d %%s\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, total_used,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    table.concat(parts, ",")))
end
"""


def lua_strings(values) -> str:
    return "{" + ",".join(f'"{v}"' for v in values) + "}"


async def measure_wrk(base, concurrency, seconds, scenario, ctx):
    """Run wrk (one thread, `concurrency` connections) for a scenario; the same result shape as measure()."""
    if scenario == "mixed":  # half the connections book, half search: two wrk processes side by side
        half = max(1, concurrency // 2)
        booking, slots = await asyncio.gather(measure_wrk(base, half, seconds, "booking", ctx),
                                              measure_wrk(base, concurrency - half, seconds, "slots", ctx))
        return {**booking, **slots}
    booking = scenario == "booking"
    path = {"bare": "/healthz", "slots": ctx["slots_url"], "booking": "/api/v1/bookings/"}[scenario]
    keys = ctx["keys"].ahead() if booking else []
    slot0 = ctx["slot_next"]
    head = ", ".join(f'"{v}"' for v in ("booking" if booking else "get", path, base, ctx["csrf"], ctx["cookie_name"]))
    script = WRK_LUA % {"head": f"{head}, {ctx['unit_id']}, {ctx['item_id']}, {slot0}",
                        "keys": lua_strings(keys), "slots": lua_strings(ctx["slot_starts"])}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        process = await asyncio.create_subprocess_exec(
            "wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "-s", handle.name,
            f"{base}{path}", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        output = (await process.communicate())[0].decode()
    finally:
        os.unlink(handle.name)
    found = re.search(r"^RESULT (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+) (\d+) (\S*)$", output, re.M)
    if not found:
        raise SystemExit(f"wrk gave no result:\n{output}")
    requests, micros, p50, p99, used, socket_errors, seen = found.groups()
    statuses = {int(k): int(v) for k, v in (part.split(":") for part in seen.split(",") if part)}
    if booking:
        for _ in range(min(int(used), len(keys))):
            ctx["keys"].take()
        ctx["slot_next"] += int(used)
    ok = 201 if booking else 200
    errors = sum(count for status, count in statuses.items() if status != ok) + int(socket_errors)
    label = {"bare": "bare", "slots": "slots", "booking": "booking"}[scenario]
    return {label: (int(requests) / (int(micros) / 1e6), float(p50), float(p99), errors, statuses)}


async def bench(args, base, client, ctx):
    slots_url, unit_id, item_id, csrf = ctx["slots_url"], ctx["unit_id"], ctx["item_id"], ctx["csrf"]
    slot_starts = ctx["slot_starts"]

    def bare(i, worker):
        return "GET", "/healthz", {}, {200}, "bare"

    def slots(i, worker):
        return "GET", slots_url, {}, {200}, "slots"

    def booking(i, worker):
        key = ctx["keys"].take()
        ctx["slot_next"] += 1
        return "POST", "/api/v1/bookings/", {
            "json": {"unit": unit_id, "item": item_id,
                     "starts_at": slot_starts[(ctx["slot_next"] - 1) % len(slot_starts)]},
            "headers": {"Idempotency-Key": secrets.token_hex(8), "X-CSRFToken": csrf,
                        "Cookie": f"{ctx['cookie_name']}={key}; csrftoken={csrf}", "Referer": base + "/",
                        "Origin": base},
        }, {201}, "booking"

    def mixed(i, worker):
        # Half the clients book at the unit while the other half search it: every booking
        # invalidates the cached answer, so this is slot search at its slowest.
        return booking(i, worker) if worker % 2 else slots(i, worker)

    async def drive(level, seconds, maker, scenario):
        if client == "wrk":
            return await measure_wrk(base, level, seconds, scenario, ctx)
        return await measure(base, level, seconds, maker)

    print(f"slot search: one township station, 14 days, {len(slot_starts)} free slots in the answer")
    print("CPU ms per answered request (from /proc): the server's processes, PostgreSQL, the load generator")
    header = (f"{'endpoint':<30}{'conc':>5}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'× bare req/s':>14}"
              f"{'errors':>8}{'server':>8}{'pg':>6}{'client':>7}")
    print(header)
    print("-" * len(header))
    rows = []
    scenarios = (("bare JSON /healthz", bare, "bare", "bare"), ("slot search", slots, "slots", "slots"),
                 ("booking create", booking, "booking", "booking"),
                 ("slot search while booking", mixed, "slots", "mixed"))
    for level in [int(x) for x in args.levels.split(",")]:
        base_rps = None
        for name, maker, label, scenario in scenarios:
            if maker is mixed and level < 2:
                continue
            warm = "bare" if maker in (booking, mixed) else scenario
            await drive(level, min(0.5, args.seconds / 4), bare if warm == "bare" else maker, warm)
            before = cpu_snapshot(ctx["server_pids"])
            result = await drive(level, args.seconds, maker, scenario)
            after = cpu_snapshot(ctx["server_pids"])
            rps, p50, p99, errors, statuses = result[label]
            answered = sum(r[0] for r in result.values()) * args.seconds  # both kinds, for the mixed scenario
            cpu = {side: (after[side] - before[side]) * 1000 / max(answered, 1) for side in after}
            if label == "bare":
                base_rps = rps
            ratio = rps / base_rps
            if maker is mixed:
                ratio = result["slots"][0] / base_rps
                name = f"{name} ({result['booking'][0]:.0f} bookings/s)"
            rows.append((name, level, rps, p50, p99, ratio, errors))
            print(f"{name:<30}{level:>5}{rps:>9.0f}{p50:>9.1f}{p99:>9.1f}{ratio:>14.2f}{errors:>8}"
                  f"{cpu['server']:>8.2f}{cpu['pg']:>6.2f}{cpu['client']:>6.2f}"
                  + (f"  {statuses}" if errors else ""), flush=True)
    return rows


async def bench_context(base, unit_id, item_id, keys, cookie_name):
    import datetime
    from zoneinfo import ZoneInfo

    import aiohttp

    zone = ZoneInfo("Asia/Shanghai")
    today = datetime.datetime.now(zone).date()
    slots_url = (f"/api/v1/units/{unit_id}/slots/?item={item_id}&date_from={today.isoformat()}"
                 f"&date_to={(today + datetime.timedelta(days=14)).isoformat()}")
    async with aiohttp.ClientSession() as http, http.get(f"{base}{slots_url}") as response:
        slot_starts = [s["starts_at"] for s in (await response.json())["slots"]]
    # slot_next: one sweep over all slots across levels, servers and clients.
    return {"slots_url": slots_url, "unit_id": unit_id, "item_id": item_id, "slot_starts": slot_starts,
            "keys": keys, "slot_next": 0, "cookie_name": cookie_name,
            "csrf": secrets.token_hex(16)}  # a 32-character unmasked secret: valid as both cookie and header


def summary(results):
    """Side by side: the same endpoint and level on every server and client."""
    servers = list(results)
    print("\nside by side: req/s, p99 ms (× bare req/s of the same server and client)")
    print(f"{'endpoint':<42}{'conc':>5}" + "".join(f"{server:>28}" for server in servers))
    keys = [(name, level) for name, level, *_rest in results[servers[0]]]
    for name, level in keys:
        cells = []
        for server in servers:
            row = next((r for r in results[server] if r[0].split(" (")[0] == name.split(" (")[0] and r[1] == level),
                       None)
            cells.append("-" if row is None else f"{row[2]:.0f}, {row[4]:.0f} ms ({row[5]:.2f}×)")
        print(f"{name.split(' (')[0]:<42}{level:>5}" + "".join(f"{cell:>28}" for cell in cells))


def main():
    args = parse_args()
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    unknown = set(servers) - set(SERVERS)
    if unknown:
        raise SystemExit(f"unknown server(s): {', '.join(sorted(unknown))}; choose from {', '.join(SERVERS)}")
    clients = [c.strip() for c in args.clients.split(",") if c.strip()]
    if set(clients) - set(CLIENTS):
        raise SystemExit(f"unknown client(s): {', '.join(sorted(set(clients) - set(CLIENTS)))}")
    if "wrk" in clients and not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    env = {**os.environ, "DATABASE_URL": f"{args.pg}/{args.database}", "DATABASE_REPLICA_URL": "", "DEBUG": "false",
           "LOG_LEVEL": "WARNING",
           "SMS_BACKEND": "accounts.sms.LocmemSmsBackend", "DJANGO_SETTINGS_MODULE": "config.settings",
           # Under ASGI every request runs in a fresh thread, so a persistent connection per thread is
           # never reused and piles up until the server runs out of connections: close after each request
           # (production puts PgBouncer in between).
           "CONN_MAX_AGE": "0"}
    env.pop("REDIS_URL", None)
    if args.switch_interval_ms:
        env["GIL_SWITCH_INTERVAL_MS"] = args.switch_interval_ms
    if args.redis:
        # The cached slot answers are invalidated through the cache: processes must share it.
        env.update(REDIS_URL=args.redis, CACHE_PREFIX=f"bench{os.getpid()}", CELERY_EAGER="true")
    elif args.processes > 1 or "granian" in ",".join(servers):
        raise SystemExit("more than one process needs --redis: slot answers are invalidated through a shared cache")
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    started = time.perf_counter()
    prepare_database(args, env)
    unit_id, item_id, session_keys, cookie_name = prepare_people(args)
    print(f"database {args.database} ready in {time.perf_counter() - started:.1f} s; "
          f"{len(session_keys)} residents; {args.processes} process(es) per server; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.1f}")
    if not args.no_pool:
        env["DB_POOL_MAX_SIZE"] = "20"  # the production setting: psycopg's pool (config/settings.py)
    print("database connections: " + ("one per request (CONN_MAX_AGE=0)" if args.no_pool
                                      else "psycopg pool, up to 20 per server process"))
    keys, ctx = Keys(session_keys), None
    results = {}
    for server in servers:
        port, processes, listener = start_server(args, env, server)
        try:
            base = f"http://127.0.0.1:{port}"
            asyncio.run(wait_ready(base, processes))
            if ctx is None:
                ctx = asyncio.run(bench_context(base, unit_id, item_id, keys, cookie_name))
            ctx["server_pids"] = [process.pid for process in processes]
            for client in clients:
                print(f"\n== {server} ({args.processes} process(es)), client {client}; "
                      f"load average {os.getloadavg()[0]:.1f} ==")
                results[f"{server}/{client}"] = asyncio.run(bench(args, base, client, ctx))
                print(f"load average after {server} with {client}: {os.getloadavg()[0]:.1f}")
        finally:
            stop_server(processes, listener)
    if len(results) > 1:
        summary(results)


if __name__ == "__main__":
    main()
