"""Signaling benchmark: N rooms x 2 peers relaying offer/answer/candidates through Daphne + channels-redis,
side by side with a bare relay written with the `websockets` library, on this machine, in the same run.

    .venv/bin/python bench/signaling.py --rooms 500 --rounds 10
    .venv/bin/python bench/signaling.py --rooms 1000 --rounds 4      # 2,000 sockets on one Daphne
    .venv/bin/python bench/signaling.py --rooms 500 --daphnes 2      # each room's peers on two Daphnes

Loopback only. Each room is a closed loop: peer A sends an offer to B, B answers, then they trade
ice-candidates, each message sent when the previous one arrived, for --rounds round trips; every room runs
at once. Relay latency is send-to-receive on one clock (both peers live in this process).
Prints messages/s, latency p50/p99, sockets held, lost messages, the server's CPU time per relayed message
(steadier than latency on a shared machine) and Daphne's (or the bare relay's) RSS per socket. The database
(a temporary SQLite file unless --database-url; pass a PostgreSQL one to join at production speed: SQLite
opens a connection per database call) holds the N calls and 2N users; the token bucket is raised for the
run (--rate) so throughput, not the per-socket budget, is measured.

Every relayed message crosses Redis pub/sub (channels-redis' RedisPubSubChannelLayer, as configured in
settings). With one Daphne (the default) both peers of a room sit on the same process; --daphnes 2 puts
peer A of every room on one Daphne and peer B on another; CPU and RSS are then the two processes' sum.
"""
import argparse
import asyncio
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_RELAY = r'''
import asyncio, json, sys
from websockets.asyncio.server import serve

rooms = {}

async def handler(ws):
    query = dict(p.split("=") for p in ws.request.path.split("?", 1)[1].split("&"))
    room, me = query["room"], query["peer"]
    rooms.setdefault(room, {})[me] = ws
    await ws.send(json.dumps({"type": "joined", "participant_id": me}))
    try:
        async for raw in ws:
            message = json.loads(raw)
            target = rooms.get(room, {}).get(message.pop("to", None))
            if target is not None:
                message["from"] = me
                await target.send(json.dumps(message))
    finally:
        rooms.get(room, {}).pop(me, None)

async def main():
    async with serve(handler, "127.0.0.1", int(sys.argv[1]), max_queue=None, compression=None):
        print("ready", flush=True)
        await asyncio.Future()

asyncio.run(main())
'''


# Daphne on uvloop: its Twisted reactor runs on the loop asyncio.new_event_loop() returns when daphne.server
# is imported, so the policy set first decides it.
UVLOOP_DAPHNE = r'''
import asyncio, sys
import uvloop
asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
from daphne.cli import CommandLineInterface
CommandLineInterface.entrypoint()
'''


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pids: list[int]) -> int:
    return sum(_rss_kib(pid) for pid in pids)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of the processes so far: the relay's cost, steadier than latency on a busy machine."""
    return sum(_cpu_seconds(pid) for pid in pids)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prepare_database(env: dict, rooms: int) -> list[dict]:
    """Migrate, then create the rooms (ad hoc calls, both peers admitted directly) and session cookies."""
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    code = f"""
import json, os, secrets, django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone
from accounts.models import User
from calls.models import Call, CallInvitation
from stations.models import Unit
tag = secrets.token_hex(3)
unit = Unit.objects.create(code="BENCH" + tag, kind="city_department", name="bench")
password = make_password(None)
users = User.objects.bulk_create([User(username=f"bench{{tag}}-{{i}}", role="agent", password=password)
                                  for i in range(2 * {rooms})])
now = timezone.now()
calls = Call.objects.bulk_create([Call(kind="ad_hoc", host_unit=unit, created_by=users[2 * i], status="active",
                                       started_at=now) for i in range({rooms})])
CallInvitation.objects.bulk_create([CallInvitation(call=c, user=users[2 * i + 1], status="accepted",
                                                   rings_until=now, answered_at=now) for i, c in enumerate(calls)])
store = SessionStore()
expire = now + timezone.timedelta(hours=2)
sessions, cookies = [], {{}}
for user in users:
    key = secrets.token_hex(16)
    data = {{SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: user.get_session_auth_hash()}}
    sessions.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
    cookies[user.pk] = f"{{settings.SESSION_COOKIE_NAME}}={{key}}"
Session.objects.bulk_create(sessions)
print(json.dumps([{{"call": str(c.pk), "a": cookies[users[2 * i].pk], "b": cookies[users[2 * i + 1].pk]}}
                  for i, c in enumerate(calls)]))
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
    return json.loads(out.stdout.decode().strip().splitlines()[-1])


class Result:
    def __init__(self, name):
        self.name = name
        self.latencies: list[float] = []
        self.sent = 0
        self.received = 0
        self.held = 0
        self.refused = 0
        self.errors: dict[str, int] = {}
        self.seconds = 0.0
        self.rss_idle = 0
        self.rss_loaded = 0
        self.connect_seconds = 0.0
        self.cpu_seconds = 0.0


async def run_load(name, urls_of_room, rooms, rounds, pids, connect_batch, timeout, pace=0.0):
    """urls_of_room(i) -> ((url_a, headers_a), (url_b, headers_b)). Returns a Result."""
    from websockets.asyncio.client import connect

    result = Result(name)
    result.rss_idle = rss_kib(pids)
    pairs: list[tuple] = [None] * rooms

    async def open_peer(url, headers, origin):
        ws = await connect(url, origin=origin, additional_headers=headers, proxy=None, open_timeout=60,
                           max_queue=None, compression=None, ping_interval=None)
        first = json.loads(await ws.recv())
        if first["type"] == "hello":
            await ws.send(json.dumps({"type": "join"}))
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "joined":
                    break
                if message["type"] == "error":
                    raise RuntimeError(message)
            if message["state"] != "admitted":
                raise RuntimeError("not admitted")
            # the 'peers' message follows
            await ws.recv()
        return ws, message["participant_id"] if first["type"] == "hello" else first["participant_id"]

    async def open_room(i):
        # Each peer from its own server's page: the consumer refuses an Origin that is not the host it reached.
        (url_a, head_a, origin_a), (url_b, head_b, origin_b) = urls_of_room(i)
        try:
            a = await open_peer(url_a, head_a, origin_a)
            b = await open_peer(url_b, head_b, origin_b)
            if first_is_hello:
                await a[0].recv()  # 'peer-joined' for b
            pairs[i] = (a, b)
            result.held += 2
        except Exception as exc:  # noqa: BLE001 - counted and reported
            result.refused += 1
            result.errors[type(exc).__name__] = result.errors.get(type(exc).__name__, 0) + 1

    first_is_hello = name != "bare websockets relay"
    start = time.perf_counter()
    for batch in range(0, rooms, connect_batch):
        await asyncio.gather(*(open_room(i) for i in range(batch, min(rooms, batch + connect_batch))))
    result.connect_seconds = time.perf_counter() - start
    print(f"  {result.held} sockets joined in {result.connect_seconds:.1f} s; relaying ...", flush=True)
    await asyncio.sleep(1)
    result.rss_loaded = rss_kib(pids)

    # --pace: every room sends on its own schedule (rooms / pace seconds apart, rooms staggered), so the servers
    # see `pace` messages/s in all, as the real burst offers them, instead of as many as they can take.
    interval = rooms / pace if pace else 0.0

    async def converse(pair, offset: float):
        (ws_a, id_a), (ws_b, id_b) = pair
        next_send = time.perf_counter() + offset
        kinds = ["offer", "answer"] + ["ice-candidate"] * (2 * rounds - 2)
        sides = [(ws_a, ws_b, id_b), (ws_b, ws_a, id_a)]
        for n, kind in enumerate(kinds):
            sender, receiver, target = sides[n % 2]
            # The server relays only the signaling fields, so the send time stays here: one loop, one clock.
            body = {"type": kind, "to": target}
            if kind in ("offer", "answer"):
                body["sdp"] = "v=0\r\n" + "a=x\r\n" * 400  # about the size of a real SDP (~2.4 KB)
            else:
                body.update(candidate="candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host", sdpMid="0",
                            sdpMLineIndex=0)
            if interval:
                await asyncio.sleep(max(0.0, next_send - time.perf_counter()))
                next_send += interval
            sent_at = time.perf_counter()
            await sender.send(json.dumps(body))
            result.sent += 1
            while True:
                message = json.loads(await receiver.recv())
                if message.get("type") == kind:
                    result.latencies.append(time.perf_counter() - sent_at)
                    result.received += 1
                    break
                if message.get("type") == "error":
                    result.errors[message["code"]] = result.errors.get(message["code"], 0) + 1
                    return

    live = [pair for pair in pairs if pair]
    cpu_start = cpu_seconds(pids)
    start = time.perf_counter()
    try:
        conversations = (converse(pair, interval * n / len(live)) for n, pair in enumerate(live))
        outcomes = await asyncio.wait_for(asyncio.gather(*conversations, return_exceptions=True), timeout)
        for failure in (o for o in outcomes if isinstance(o, Exception)):  # counted, never silently lost
            result.errors[type(failure).__name__] = result.errors.get(type(failure).__name__, 0) + 1
    except TimeoutError:
        result.errors["timeout"] = result.errors.get("timeout", 0) + 1
    result.seconds = time.perf_counter() - start
    result.cpu_seconds = cpu_seconds(pids) - cpu_start
    for pair in live:
        for ws, _ in pair:
            ws.transport.abort()  # the server is stopped next; a closing handshake per socket is not measured
    return result


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(results: list[Result], rooms: int, rounds: int, layer: str, daphnes: int):
    print(f"\nrooms={rooms} peers/room=2 round trips/room={rounds} channel layer={layer} Daphne processes={daphnes}"
          + (" (peers of a room on different processes)" if daphnes > 1 else " (both peers of a room on it)"))
    header = ("", "sockets held", "refused rooms", "connect s", "messages", "lost", "msg/s", "p50 ms", "p99 ms",
              "server CPU ms/msg", "RSS idle MiB", "RSS loaded MiB", "KiB/socket")
    rows = []
    for r in results:
        per_socket = (r.rss_loaded - r.rss_idle) / r.held if r.held else float("nan")
        rows.append((r.name, r.held, r.refused, f"{r.connect_seconds:.1f}", r.received, r.sent - r.received,
                     f"{r.received / r.seconds:,.0f}" if r.seconds else "-",
                     f"{percentile(r.latencies, 0.5) * 1000:.2f}", f"{percentile(r.latencies, 0.99) * 1000:.2f}",
                     f"{r.cpu_seconds * 1000 / r.received:.3f}" if r.received else "-",
                     f"{r.rss_idle / 1024:.0f}", f"{r.rss_loaded / 1024:.0f}", f"{per_socket:.0f}"))
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).rjust(widths[i]) if i else str(cell).ljust(widths[i]) for i, cell in enumerate(row)))
    for r in results:
        if r.errors:
            print(f"{r.name} errors: {r.errors}")
    if len(results) == 2 and results[0].latencies and results[1].latencies:
        ratio = percentile(results[0].latencies, 0.99) / percentile(results[1].latencies, 0.99)
        print(f"p99 ratio Daphne/bare: {ratio:.1f}x; mean latency Daphne "
              f"{statistics.mean(results[0].latencies) * 1000:.2f} ms, bare "
              f"{statistics.mean(results[1].latencies) * 1000:.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=10, help="round trips per room (offer/answer, then candidates)")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--database-url", default="", help="default: a temporary SQLite file")
    parser.add_argument("--daphnes", type=int, choices=(1, 2), default=1,
                        help="2: peer A of each room on one Daphne, peer B on another (cross-process relays)")
    parser.add_argument("--uvloop", action="store_true", help="run Daphne on uvloop (pip install uvloop)")
    parser.add_argument("--rate", type=int, default=1000, help="per-socket token bucket for the run")
    parser.add_argument("--connect-batch", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=180, help="bound on the relay phase of each server")
    parser.add_argument("--pace", type=float, default=0.0,
                        help="messages/s offered in all (rooms on a schedule); 0: each as soon as the last arrived")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    workdir = Path(tempfile.mkdtemp(prefix="bench-signaling-"))
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env.update({
        "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(workdir), "LOG_LEVEL": "WARNING",
        "DATABASE_URL": args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}", "DATABASE_REPLICA_URL": "",
        "REDIS_URL": args.redis_url, "CHANNEL_PREFIX": f"bench{secrets.token_hex(3)}", "CELERY_EAGER": "true",
        "CALL_MESSAGE_RATE": str(args.rate), "CALL_MESSAGE_BURST": str(args.rate),
        "SMS_BACKEND": "accounts.sms.LocmemSmsBackend",
    })
    print(f"preparing {args.rooms} rooms ...", flush=True)
    rooms = prepare_database(env, args.rooms)
    results = []
    daphne_name = "Daphne + channels-redis" if args.daphnes == 1 else f"{args.daphnes} Daphnes + channels-redis"
    # A joining socket waits for the one database thread; give the handshake longer than Daphne's 5 s.
    launcher = [sys.executable, "-c", UVLOOP_DAPHNE] if args.uvloop else [str(ROOT / ".venv/bin/daphne")]
    ports = [free_port() for _ in range(args.daphnes)]
    daphnes = [subprocess.Popen([*launcher, "-b", "127.0.0.1", "-p", str(port), "--websocket_connect_timeout", "60",
                                 "config.asgi:application"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                stderr=open(workdir / f"daphne{n}.log", "w"))
               for n, port in enumerate(ports)]
    try:
        for port in ports:
            for _ in range(150):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)

        def daphne_urls(i):
            room = rooms[i]
            port_a, port_b = ports[0], ports[-1]
            url_a, url_b = (f"ws://127.0.0.1:{port}/ws/calls/{room['call']}/" for port in (port_a, port_b))
            return ((url_a, {"Cookie": room["a"]}, f"http://127.0.0.1:{port_a}"),
                    (url_b, {"Cookie": room["b"]}, f"http://127.0.0.1:{port_b}"))

        print(f"running {daphne_name} ...", flush=True)
        results.append(asyncio.run(run_load(daphne_name, daphne_urls, args.rooms, args.rounds,
                                            [d.pid for d in daphnes], args.connect_batch, args.timeout, args.pace)))
    finally:
        for daphne in daphnes:
            daphne.terminate()
        for daphne in daphnes:
            try:
                daphne.wait(10)
            except subprocess.TimeoutExpired:
                daphne.kill()

    bare_port = free_port()
    bare = subprocess.Popen([sys.executable, "-c", BARE_RELAY, str(bare_port)], stdout=subprocess.PIPE, env=env,
                            stderr=open(workdir / "bare.log", "w"))  # the aborted sockets at the end log there
    try:
        bare.stdout.readline()

        def bare_urls(i):
            url = f"ws://127.0.0.1:{bare_port}/?room={i}&peer="
            return (url + "a", None, None), (url + "b", None, None)

        print("running bare websockets relay ...", flush=True)
        results.append(asyncio.run(run_load("bare websockets relay", bare_urls, args.rooms, args.rounds, [bare.pid],
                                            args.connect_batch, args.timeout, args.pace)))
    finally:
        bare.terminate()
        bare.wait(10)
    report(results, args.rooms, args.rounds, "pubsub" + (" + uvloop" if args.uvloop else ""), args.daphnes)
    if any(r.errors for r in results):
        print(f"Daphne's logs: {workdir}/daphne*.log")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
