"""A live site for browser tests: its own database, Daphne in a subprocess on a free loopback port, SMS in a file.

Works in the default network namespace and inside a private one (PostgreSQL through its Unix socket, the
in-memory channel layer, Celery eager).
"""
import datetime
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required", "--disable-features=WebRtcHideLocalIpsWithMdns",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_django_stores_in_sqlite(value):
    """A query parameter in Django's SQLite spelling: UUIDs as 32 hex digits, aware datetimes as naive UTC."""
    if isinstance(value, str):
        try:
            return uuid.UUID(value).hex
        except ValueError:
            return value
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return value


class LiveSite:
    def __init__(self, name: str = "e2e"):
        self.tmp = Path(tempfile.mkdtemp(prefix=f"frontend-{name}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sms_file = self.tmp / "sms.jsonl"
        self.sms_file.touch()
        self.db_name = None
        source = os.environ.get("DATABASE_URL", "")
        if source.startswith("postgres"):
            # Through the Unix socket: reachable from a private network namespace too.
            parsed = urlparse(source)
            self.db_name = f"e2e_front_{os.getpid()}_{name}".replace("-", "_")
            self.database_url = f"postgres://{parsed.username or 'postgres'}@/{self.db_name}?host=/var/run/postgresql"
        else:
            self.database_url = f"sqlite:///{self.tmp / 'db.sqlite3'}"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CELERY_BROKER_URL", "CELERY_EAGER")},
            "DATABASE_URL": self.database_url,
            "DATABASE_REPLICA_URL": "",  # the suite's replica is not this site's database
            "VAR_DIR": str(self.tmp / "var"),
            "SECRET_KEY": "frontend-e2e-" + "k" * 40,
            "SMS_BACKEND": "tests.frontend.sms_file_backend.FileSmsBackend",
            "FRONTEND_SMS_FILE": str(self.sms_file),
            "BOOKING_MIN_NOTICE_MINUTES": "0",
            "BOOKING_CHANGE_CUTOFF_MINUTES": "0",
            "THROTTLE_OTP_IP": "500/hour",
            "THROTTLE_OTP_PHONE": "50/10min",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        self.process = None
        self.info = {}

    def _admin_sql(self, sql: str):
        import psycopg

        with psycopg.connect("host=/var/run/postgresql user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(sql)

    def start(self):
        if self.db_name:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            self._admin_sql(f'CREATE DATABASE "{self.db_name}"')
        setup = subprocess.run([PYTHON, "-m", "tests.frontend.e2e_setup"], cwd=ROOT, env=self.env,
                               capture_output=True, text=True, timeout=240)
        if setup.returncode != 0:
            raise RuntimeError(f"e2e setup failed:\n{setup.stderr[-4000:]}")
        self.info = json.loads(setup.stdout.strip().splitlines()[-1])
        self.log = open(self.tmp / "daphne.log", "w")
        self.process = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(self.port),
             "config.asgi:application"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("daphne exited:\n" + (self.tmp / "daphne.log").read_text()[-4000:])
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("daphne did not answer in time")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        if self.db_name:
            try:
                self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)

    def sql(self, query: str, params: tuple = ()) -> list[tuple]:
        """Read or change the live site's database directly (%s placeholders), e.g. to let a call time out."""
        if self.db_name:
            import psycopg

            with psycopg.connect(f"host=/var/run/postgresql user=postgres dbname={self.db_name}",
                                 autocommit=True) as conn:
                cursor = conn.execute(query, params)
                return cursor.fetchall() if cursor.description else []
        import sqlite3

        with sqlite3.connect(self.tmp / "db.sqlite3") as conn:
            cursor = conn.execute(query.replace("%s", "?"), tuple(map(as_django_stores_in_sqlite, params)))
            return cursor.fetchall()

    def server_log(self) -> str:
        path = self.tmp / "daphne.log"
        return path.read_text()[-6000:] if path.exists() else ""

    def last_code(self, phone: str, timeout: float = 10) -> str:
        """The last 6-digit code texted to `phone` (login codes and seal confirmation codes)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in reversed(self.sms_file.read_text(encoding="utf-8").splitlines()):
                message = json.loads(line)
                match = re.search(r"(\d{6})", message["message"])
                if message["phone"] == phone and match:
                    return match.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no SMS code for {phone}")


def launch_chromium(playwright):
    return playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
