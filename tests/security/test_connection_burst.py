"""A burst of concurrent requests must not exhaust PostgreSQL, nor leave the service down afterwards.

The live site runs Daphne on PostgreSQL with no pool setting at all, as a user would start it: the default
must bound the connections (psycopg's pool), answer 503 to whoever waits too long, and give every
connection back after each request, so that normal answers follow the burst within seconds.
"""
import json
import os
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.frontend.live import LiveSite

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"),
                       reason="needs PostgreSQL (DATABASE_URL)"),
]

BURST = 120  # well above the default pool (10 per process)
DEFAULT_POOL_MAX = 10


def _post_json(url: str, body: dict, timeout: float = 60) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


class BackendCounter(threading.Thread):
    """Samples how many PostgreSQL backends serve the site's database while the burst runs."""

    def __init__(self, site: LiveSite):
        super().__init__(daemon=True)
        self.site, self.highest, self.running = site, 0, True

    def now(self) -> int:
        return self.site.sql("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                             (self.site.db_name,))[0][0]

    def run(self):
        while self.running:
            self.highest = max(self.highest, self.now())
            time.sleep(0.05)


@pytest.fixture(scope="module")
def site():
    live = LiveSite("burst")
    for name in ("DB_POOL_MAX_SIZE", "DB_POOL_TIMEOUT", "CONN_MAX_AGE"):
        live.env.pop(name, None)  # the defaults, exactly as a user starts the service
    live.env["THROTTLE_OTP_IP"] = "100000/hour"
    live.env["THROTTLE_OTP_PHONE"] = "100000/hour"
    live.start()
    yield live
    live.stop()


def test_a_burst_above_the_pool_is_bounded_and_the_service_answers_normally_right_after(site):
    counter = BackendCounter(site)
    counter.start()
    start = threading.Barrier(BURST)
    statuses: list[int] = []

    def resident(number: int):
        start.wait()
        try:
            status, _ = _post_json(f"{site.url}/api/v1/auth/otp/request", {"phone": f"139{number:08d}"},
                                   timeout=120)
        except OSError:  # the client gave up waiting (a busy machine): not an answer, but not a 500 either
            status = None
        statuses.append(status)

    threads = [threading.Thread(target=resident, args=(n,)) for n in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(200)
    counter.running = False
    counter.join()

    assert len(statuses) == BURST
    answered = [status for status in statuses if status is not None]
    assert len(answered) > BURST // 2, statuses
    assert set(answered) <= {202, 503}, sorted(set(answered))  # a wait too long is a 503, never a 500
    assert statuses.count(202) > 0
    # One Daphne process: its pool plus, at most, the pool's own reconnect in flight.
    assert counter.highest <= DEFAULT_POOL_MAX + 1, f"{counter.highest} connections during the burst"

    started = time.monotonic()
    answers = [_post_json(f"{site.url}/api/v1/auth/otp/request", {"phone": f"137{n:08d}"}, timeout=10)[0]
               for n in range(3)]
    assert answers == [202] * 3, answers
    assert time.monotonic() - started < 20  # before the fix: 503 for more than a minute and a half
    with urllib.request.urlopen(site.url + "/readyz", timeout=5) as response:
        assert response.status == 200
    assert counter.now() <= DEFAULT_POOL_MAX
