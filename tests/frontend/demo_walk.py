"""The demo of `make run`, served and read as a newcomer meets it (tests/frontend/test_demo_walk.py walks it).

`DemoSite` does what the Makefile's `run` target does, in a fresh temporary directory: the five loading commands,
the printed walk-through, then Daphne with the same environment (SQLite, in-memory channel layer, eager Celery,
console SMS, no minimum notice). Every process runs with its wall clock pinned to a chosen local time
(tests/frontend/pinned_clock.py), and everything it prints goes to one console log, which is the only place the
test reads codes from: never the database.
"""
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from tests.frontend.live import PYTHON, ROOT, free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
WALK_DATE = datetime.date(2027, 3, 10)  # a Wednesday, no public holiday
# The data is loaded a while before the walk starts, as `make run` does before it serves.
SETUP_LEAD = datetime.timedelta(minutes=15)
DAPHNE = ROOT / ".venv" / "bin" / "daphne"
# What the Makefile's `data` target runs, in its order.
LOADING = [["migrate", "--noinput"], ["load_organisation"], ["load_catalog"], ["load_demo"], ["signing_demo_setup"]]
# A newcomer's shell: nothing of this suite's own settings (PostgreSQL, Redis, the SMS file) leaks in.
SHELL = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER")
# Three browsers in one call pair WebRTC on the machine's eth0 address in the default network namespace, which
# tests must not use (RECIPES.md §1): the walk runs in a private one, as the call journey does.
NETNS_RUNNER = ROOT / "tests" / "frontend" / "netns_run.sh"
IN_NETNS = os.environ.get("FRONTEND_IN_NETNS") == "1"
# "[SMS to 13800000001] 您的医保视频办登录验证码是 123456，…" and "…确认码123456，…": the console SMS backend's lines.
SMS_LINE = re.compile(r"^\[SMS to (?P<phone>\d+)\] (?P<message>.*)$", re.MULTILINE)
CODE_IN_MESSAGE = re.compile(r"码\s*(?:是\s*)?(\d{6})(?!\d)")


@dataclass(frozen=True)
class Walkthrough:
    """What `make run` prints for the newcomer, read back from the console."""

    resident_phone: str
    category: str
    item: str
    station: str
    county: str
    township: str
    agent: str
    agent_password: str
    invited_unit: str
    reviewer: str
    reviewer_password: str

    PATTERNS = {
        "resident_phone": r"resident (\d{11}) ",
        "category": r"picks (\S+) → ",
        "item": r"picks \S+ → (\S+?),",
        "station": r"the station (\S+) \(",
        "county": r"the station \S+ \((\S+) → ",
        "township": r"the station \S+ \(\S+ → (\S+?);",
        "agent": r"agent (\S+) / \S+ admits",
        "agent_password": r"agent \S+ / (\S+) admits",
        "invited_unit": r"invites the unit (\S+) ",
        "reviewer": r"\): (\S+) / \S+ answers the ring",
        "reviewer_password": r"\): \S+ / (\S+) answers the ring",
    }

    @classmethod
    def read(cls, console: str) -> "Walkthrough":
        text = " ".join(console[console.index("The demo journey"):].split())  # its lines wrap anywhere
        found = {}
        for name, pattern in cls.PATTERNS.items():
            match = re.search(pattern, text)
            assert match, f"the walk-through does not say {name} ({pattern}):\n{text[:2000]}"
            found[name] = match.group(1)
        return cls(**found)


class DemoSite:
    """`make run` at a pinned local time (e.g. "12:45" on WALK_DATE), on its own SQLite database and port."""

    def __init__(self, clock: str):
        hour, minute = map(int, clock.split(":"))
        self.starts_at = datetime.datetime.combine(WALK_DATE, datetime.time(hour, minute), tzinfo=SHANGHAI)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"frontend-walk-{hour:02d}{minute:02d}-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.console_path = self.tmp / "console.log"
        self.process = None
        self.served_since = None  # the real time.time() at which the server's clock read `starts_at`

    def _env(self, at: datetime.datetime, **extra) -> dict:
        shell = {name: os.environ[name] for name in SHELL if name in os.environ}
        return {**shell, "VAR_DIR": str(self.tmp / "var"), "PYTHONUNBUFFERED": "1",
                "PINNED_CLOCK_AT": at.isoformat(), **extra}

    def _pinned(self, script: str, *arguments: str) -> list[str]:
        return [PYTHON, "-m", "tests.frontend.pinned_clock", script, *arguments]

    def _load(self, arguments: list[str], at: datetime.datetime) -> None:
        with open(self.console_path, "a") as console:
            done = subprocess.run(self._pinned("manage.py", *arguments), cwd=ROOT, stdout=console,
                                  stderr=subprocess.STDOUT, env=self._env(at, LOG_FORMAT="console"), timeout=300)
        assert done.returncode == 0, f"manage.py {' '.join(arguments)} failed:\n{self.console()[-4000:]}"

    def start(self) -> "DemoSite":
        loading_since, loading_at = time.time(), self.starts_at - SETUP_LEAD
        for arguments in [*LOADING, ["load_demo", "--walkthrough", self.url]]:
            self._load(arguments, loading_at + datetime.timedelta(seconds=time.time() - loading_since))
        self.served_since = time.time()
        self.process = subprocess.Popen(
            self._pinned(str(DAPHNE), "-b", "127.0.0.1", "-p", str(self.port), "config.asgi:application"),
            cwd=ROOT, stdout=open(self.console_path, "a"), stderr=subprocess.STDOUT, start_new_session=True,
            env=self._env(self.starts_at, DEBUG="true", BOOKING_MIN_NOTICE_MINUTES="0", PUBLIC_BASE_URL=self.url))
        deadline = time.time() + 60
        while time.time() < deadline:
            assert self.process.poll() is None, "daphne exited:\n" + self.console()[-4000:]
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        raise AssertionError("daphne did not answer in time:\n" + self.console()[-4000:])

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def now(self) -> datetime.datetime:
        """What the server's clock reads now (local time)."""
        return self.starts_at + datetime.timedelta(seconds=time.time() - self.served_since)

    def console(self) -> str:
        return self.console_path.read_text(encoding="utf-8", errors="replace")

    def mark(self) -> int:
        """Where the console ends now: codes printed after this are the new ones."""
        return len(self.console())

    def code(self, *, since: int, phone: str | None = None, timeout: float = 15) -> tuple[str, str]:
        """(phone, code) of the newest code printed on the console after `since`, to `phone` if given."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in reversed(list(SMS_LINE.finditer(self.console()[since:]))):
                code = CODE_IN_MESSAGE.search(line["message"])
                if code and phone in (None, line["phone"]):
                    return line["phone"], code.group(1)
            time.sleep(0.2)
        raise AssertionError(f"no code on the console for {phone or 'anyone'}:\n{self.console()[since:][-3000:]}")


def window(browser, site: DemoSite, **device):
    """A browser window of the walk: its own cookies, Shanghai time, the page clock at the server's time."""
    context = browser.new_context(base_url=site.url, timezone_id="Asia/Shanghai", **{"locale": "zh-CN", **device})
    context.grant_permissions(["camera", "microphone"], origin=site.url)
    # The pages compute "today" and the Join button from the browser's clock: it ticks on from the server's time.
    context.clock.install(time=site.now())
    return context, context.new_page()


def until(page, predicate: str, timeout: float = 30) -> None:
    """Poll a JS predicate (page.wait_for_function would need eval, which the pages' CSP forbids)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if page.evaluate(predicate):
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out: {predicate}")


def staff_login(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.click("#staff-login summary")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#staff-button")
    page.wait_for_url(re.compile(r"/(console|desk)/"))


def netns_possible() -> bool:
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


def in_private_namespace(test_file: str, selection: str, timeout: float) -> subprocess.CompletedProcess:
    """Run the tests of `test_file` that `selection` (-k) picks, in a private network namespace of their own, in
    the file's order: they are the steps of one journey (a test-order shuffling plugin is switched off)."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # the host's Redis is not reachable there
    env["FRONTEND_IN_NETNS"] = "1"
    pytest = [sys.executable, "-m", "pytest", test_file, "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
              "-o", "addopts=", "-rfEs", "-k", selection]
    return subprocess.run([str(NETNS_RUNNER), *pytest], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def assert_in_private_namespace() -> None:
    """No WebRTC candidate can be the machine's own address: there is no eth0 here to pair on."""
    addresses = subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout
    assert "eth0" not in addresses and "10.77.0.1" in addresses, addresses
