"""Runs the production profile on this machine: PostgreSQL and Redis on loopback, two Daphne processes,
a Celery worker and beat, all with production settings (DEBUG off, JSON logs, real broker and channel layer).

    .venv/bin/python scripts/prod_local.py up           # fresh database, migrate, load data, run until Ctrl-C
    make prod-local                                      # the same

It never touches the machine's own Redis on 6379: it starts a private redis-server on another loopback
port (REDIS_PORT, default 6391). The database is a fresh one on the machine's PostgreSQL
(127.0.0.1:5432), dropped on exit unless --keep-db. The resilience tests (tests/resilience/) drive the
same class: they kill and restart its processes one by one.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(os.environ.get("VENV_BIN", ROOT / ".venv" / "bin"))
PG_URL = os.environ.get("PROD_LOCAL_PG", "postgres://postgres@127.0.0.1:5432")


def port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(start: int) -> int:
    port = start
    while not port_free(port):
        port += 1
    return port


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception:
            pass
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


def http_status(url: str, timeout: float = 2.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@dataclass
class LocalProfile:
    name: str = "vc_prodlocal"
    redis_port: int = 6391
    web_ports: tuple[int, ...] = (8101, 8102)
    worker_pool: str = "solo"  # one process: a SIGKILL really interrupts the task it runs
    extra_env: dict = field(default_factory=dict)
    load_demo: bool = True
    processes: dict = field(default_factory=dict)

    def __post_init__(self):
        self.workdir = ROOT / "var" / "prod-local" / self.name
        self.redis_port = free_port(self.redis_port)
        self.web_ports = tuple(free_port(p) for p in self.web_ports)
        if len(set(self.web_ports)) != len(self.web_ports):
            self.web_ports = tuple(free_port(self.web_ports[0] + 10 * i) for i in range(len(self.web_ports)))
        self.secret_key = secrets.token_urlsafe(50)

    # --- the environment every process gets ---------------------------------------------------------
    @property
    def database_url(self) -> str:
        return f"{PG_URL}/{self.name}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    def env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
        env.update({
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": self.database_url,
            "DATABASE_REPLICA_URL": "",  # the caller's replica is not this database's
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": self.secret_key,
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CSRF_TRUSTED_ORIGINS": ",".join(f"http://127.0.0.1:{p}" for p in self.web_ports),
            "VAR_DIR": str(self.workdir),
            "MEDIA_ROOT": str(self.workdir / "media"),
            "LOG_FORMAT": "json",
            "CELERY_EAGER": "false",
            "CELERY_VISIBILITY_TIMEOUT": "10",
            "DB_POOL_MAX_SIZE": "15",  # per process: 2 Daphne + worker + beat stay well under max_connections
            "DB_POOL_TIMEOUT": "30",  # under a burst, requests queue for a connection rather than fail
            # Many test residents share 127.0.0.1: per-address OTP limits would stop them all.
            "THROTTLE_OTP_IP": "100000/hour",
            "THROTTLE_OTP_VERIFY_IP": "100000/hour",
            "CHANNEL_PREFIX": f"vc-{self.name}",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    # --- processes ----------------------------------------------------------------------------------
    def _spawn(self, key: str, argv: list[str]) -> subprocess.Popen:
        log = open(self.workdir / f"{key}.log", "ab")
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        self.processes[key] = process
        return process

    def start_redis(self):
        self._spawn("redis", ["redis-server", "--bind", "127.0.0.1", "--port", str(self.redis_port),
                              "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
        import redis

        wait_for(lambda: redis.Redis(port=self.redis_port, socket_timeout=1).ping(), timeout=15,
                 what=f"redis on {self.redis_port}")

    def stop_redis(self):
        self.stop("redis")

    def start_web(self, index: int):
        port = self.web_ports[index]
        self._spawn(f"web{index + 1}", [str(VENV_BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port),
                                        "--websocket_timeout", "3600", "--ping-interval", "20",
                                        "--websocket-max-message-size", "131072",
                                        "--application-close-timeout", "5", "config.asgi:application"])
        wait_for(lambda: http_status(f"http://127.0.0.1:{port}/healthz") == 200, timeout=60,
                 what=f"daphne on {port}")

    def start_worker(self):
        self.mark_log("worker")
        self._spawn("worker", [str(VENV_BIN / "celery"), "-A", "config", "worker", "-Q",
                               "default,routing,notifications,sla", "--pool", self.worker_pool,
                               "--hostname", f"{self.name}@%h", "--loglevel", "INFO", "--without-mingle",
                               "--without-gossip"])
        wait_for(lambda: b"ready." in (self.workdir / "worker.log").read_bytes().split(b"--- start ---")[-1],
                 timeout=60, what="celery worker")

    def start_beat(self):
        self._spawn("beat", [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO",
                             "--schedule", str(self.workdir / "celerybeat-schedule")])

    def signal(self, key: str, signum: int):
        process = self.processes[key]
        if process.poll() is None:
            os.killpg(process.pid, signum)

    def stop(self, key: str, timeout: float = 15):
        process = self.processes.get(key)
        if process is None or process.poll() is not None:
            return
        self.signal(key, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(key, signal.SIGKILL)
            process.wait(5)

    def kill(self, key: str):
        """SIGKILL: no clean-up, no goodbye, like a crash or the OOM killer."""
        process = self.processes[key]
        self.signal(key, signal.SIGKILL)
        process.wait(10)

    def mark_log(self, key: str):
        with open(self.workdir / f"{key}.log", "ab") as log:
            log.write(b"\n--- start ---\n")

    # --- database -----------------------------------------------------------------------------------
    def psql(self, sql: str, database: str = "postgres") -> str:
        return subprocess.run(["psql", f"{PG_URL}/{database}", "-Atqc", sql], check=True, capture_output=True,
                              text=True).stdout

    def create_database(self):
        self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{self.name}"')

    def drop_database(self):
        try:
            self.psql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        except subprocess.CalledProcessError:
            pass

    def manage(self, *args: str, timeout: float = 600) -> str:
        result = subprocess.run([str(VENV_BIN / "python"), "manage.py", *args], cwd=ROOT, env=self.env(),
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def django(self, code: str, timeout: float = 300):
        """Runs Python code inside the profile's Django; the code sets `result`, returned as JSON."""
        wrapped = ("import json, django; django.setup()\nresult = None\n" + code +
                   "\nprint('@@RESULT@@' + json.dumps(result, default=str))")
        completed = subprocess.run([str(VENV_BIN / "python"), "-c", wrapped], cwd=ROOT, env=self.env(),
                                   capture_output=True, text=True, timeout=timeout)
        if completed.returncode:
            raise RuntimeError(f"django code failed:\n{completed.stderr[-4000:]}")
        marker = completed.stdout.rsplit("@@RESULT@@", 1)
        return json.loads(marker[1]) if len(marker) == 2 else None

    # --- the whole profile --------------------------------------------------------------------------
    def up(self, *, worker: bool = True, beat: bool = True):
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        (self.workdir / "media").mkdir(parents=True)
        self.start_redis()
        self.create_database()
        self.manage("migrate", "--noinput")
        self.manage("collectstatic", "--noinput", "--verbosity", "0")  # pages name the hashed scripts and styles
        self.manage("load_organisation")
        self.manage("load_catalog")
        if self.load_demo:
            self.manage("load_demo")
        for index in range(len(self.web_ports)):
            self.start_web(index)
        if worker:
            self.start_worker()
        if beat:
            self.start_beat()
        return self

    def down(self, *, keep_db: bool = False):
        for key in reversed(list(self.processes)):
            self.stop(key)
        if not keep_db:
            self.drop_database()

    def base_url(self, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.web_ports[index]}"

    def __enter__(self):
        return self.up()

    def __exit__(self, *exc):
        self.down()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up"])
    parser.add_argument("--name", default=os.environ.get("PROD_LOCAL_DB", "vc_prodlocal"))
    parser.add_argument("--redis-port", type=int, default=int(os.environ.get("REDIS_PORT", 6391)))
    parser.add_argument("--ports", default=os.environ.get("WEB_PORTS", "8101,8102"))
    parser.add_argument("--keep-db", action="store_true")
    args = parser.parse_args(argv)
    profile = LocalProfile(name=args.name, redis_port=args.redis_port,
                           web_ports=tuple(int(p) for p in args.ports.split(",")), worker_pool="prefork")
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    try:
        profile.up()
        print(f"production profile up (database {profile.name}, redis {profile.redis_url}):")
        for index in range(len(profile.web_ports)):
            print(f"  daphne {index + 1}: {profile.base_url(index)}/   (logs: {profile.workdir}/web{index + 1}.log)")
        print(f"  celery worker + beat logs in {profile.workdir}/; Ctrl-C stops everything", flush=True)
        while not stopping:
            for key, process in profile.processes.items():
                if process.poll() is not None:
                    print(f"{key} exited with {process.returncode}; see {profile.workdir}/{key}.log", flush=True)
                    stopping.append(1)
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        profile.down(keep_db=args.keep_db)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
