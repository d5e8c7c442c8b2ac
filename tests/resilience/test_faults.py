"""Faults injected into the running production profile: Redis restarted under live calls, a Celery worker
killed mid-routing, PostgreSQL connections cut, a Daphne process killed. Bounded in time, loopback only."""
import asyncio
import json
import threading
import time
import uuid

import psycopg
import pytest
import requests

from tests.support.resilience import admitted_pair, api_headers, reopen, signal_flows, wait_http, world

# The call page (frontend/static/frontend/js/call.js) stops for good on these; it reconnects on any other.
FINAL_CLOSE_CODES = {1000, 4000, 4401, 4403, 4404, 4409, 4410}

pytestmark = [pytest.mark.resilience, pytest.mark.timeout(600)]  # the first one also starts the profile


def book(profile, web: int, session: str, data: dict, slot: str, key: str) -> requests.Response:
    return requests.post(f"{profile.base_url(web)}/api/v1/bookings/", timeout=20,
                         headers={**api_headers(session), "Idempotency-Key": key},
                         data=json.dumps({"unit": data["station"], "item": data["item"], "starts_at": slot}))


def db_rows(profile, sql: str) -> list[tuple]:
    with psycopg.connect(profile.database_url, autocommit=True) as connection:
        return connection.execute(sql).fetchall()


async def test_one_call_on_two_processes_survives_a_redis_restart(profile):
    data = world(profile, residents=2, calls=1)
    call = data["calls"][0]
    # Scale-out: the resident on Daphne 1, the agent on Daphne 2, signaling relayed through Redis.
    resident, agent = await admitted_pair(profile, call, data["agent"]["session"], resident_web=0, agent_web=1)
    await signal_flows(resident, agent, "v=0 before")
    await signal_flows(agent, resident, "v=0 answer-before")

    profile.stop_redis()
    down_at = time.monotonic()
    # Sockets that relay nothing while Redis is away stay open: the layer reconnects by itself afterwards.
    codes = await asyncio.gather(resident.closed_within(3), agent.closed_within(3))
    assert codes == [None, None], codes

    # HTTP while Redis is down: what needs only the database works; what needs Redis says 503 clearly.
    ready = requests.get(f"{profile.base_url(0)}/readyz", timeout=10)
    assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "down"
    mine = requests.get(f"{profile.base_url(1)}/api/v1/bookings/{call['booking']}/", timeout=10,
                        headers=api_headers(call["session"]))
    assert mine.status_code == 200, mine.text[:300]
    booker = data["residents"][0]
    key = f"redis-down-{uuid.uuid4()}"
    during = book(profile, 0, booker["session"], data, data["slots"][0], key)
    assert during.status_code in (201, 503), (during.status_code, during.text[:300])
    if during.status_code == 503:
        assert during.json()["code"] == "redis_unavailable" and during.json()["detail"]
    statuses_down = {"readyz": ready.status_code, "booking": during.status_code}

    # An offer relayed while Redis is down cannot be delivered: once the layer's retries are spent the server
    # closes that socket with a code the call page answers by reconnecting (not one of its final codes).
    await resident.send({"type": "offer", "to": agent.participant_id, "sdp": "v=0 while-down"})
    relay_code = await resident.closed_within(20)
    assert relay_code is not None and relay_code not in FINAL_CLOSE_CODES, relay_code

    profile.start_redis()
    back_after = time.monotonic() - down_at
    wait_http(f"{profile.base_url(0)}/readyz", 200)
    # The page rejoins its place (same participant id); the agent's socket never closed. Signaling flows
    # both ways between the two processes again, through the restarted Redis.
    rejoined = await reopen(resident, 0)
    assert rejoined["rejoined"] is True
    attempts = [await signal_flows_again(resident, agent, "v=0 after"),
                await signal_flows_again(agent, resident, "v=0 answer-after")]
    assert await agent.closed_within(1) is None
    # The agent's page learnt of the rejoin: on time, or late (just before the first relay from the new socket)
    # when the notice went out before the agent's process had subscribed again.
    assert any(m["type"] == "peer-rejoined" and m["peer"]["participant_id"] == resident.participant_id
               for m in agent.inbox), [m["type"] for m in agent.inbox]
    late = sum(log.read_text().count("calls.peer_resynced") for log in profile.workdir.glob("web*.log"))
    await resident.close()
    await agent.close()

    # No booking lost or doubled: the retry with the same key returns the one booking.
    retry = book(profile, 1, booker["session"], data, data["slots"][0], key)
    assert retry.status_code in (200, 201), retry.text[:300]
    rows = db_rows(profile, f"SELECT count(*) FROM bookings_booking WHERE resident_id = {booker['id']}")
    assert rows[0][0] == 1
    assert db_rows(profile, f"SELECT status FROM bookings_booking WHERE id = {call['booking']}")[0][0] in (
        "booked", "checked_in", "in_call")
    print(f"\nredis restart: idle sockets kept open, a relay while down closed its socket ({relay_code}), "
          f"while down {statuses_down}, redis back after {back_after:.1f}s, the page rejoined, signaling flows "
          f"again (offers sent until one arrived: {attempts}; rejoins told late so far: {late})")


async def signal_flows_again(sender, receiver, sdp: str, within: float = 20) -> int:
    """Offers, sent again while none arrives (as a page's ICE restart does), until one reaches the other process.
    Pub/sub keeps nothing for a subscriber that is still reconnecting, so the first may be lost; every send must
    succeed, though, and one must arrive. Returns how many were sent."""
    deadline = time.monotonic() + within
    attempt = 0
    while True:
        attempt += 1
        try:
            await signal_flows(sender, receiver, f"{sdp} #{attempt}", timeout=2)
            return attempt
        except TimeoutError:
            if time.monotonic() > deadline:
                raise


def _submitted_case(profile) -> dict:
    code = """
from django.db import transaction
from accounts.models import User
from bookings.models import Booking, ServiceItem, MaterialRequirement, Material
from django.core.files.base import ContentFile
from reviews.services import case_create, case_submit
from stations.models import Unit, StaffMembership
import datetime, hashlib
from django.utils import timezone
station = Unit.objects.get(code="371702001")
agent = StaffMembership.objects.filter(unit=station, is_agent=True).order_by("pk").first().user
resident = User.objects.filter(role="resident", home_township=station.township).order_by("-pk").first()
item = ServiceItem.objects.get(code="C05-01")
start = timezone.now() - datetime.timedelta(days=3, minutes=Booking.objects.count())
booking = Booking.objects.create(unit=station, item=item, resident=resident, booked_by=resident, starts_at=start,
                                 ends_at=start + datetime.timedelta(minutes=20), status="completed")
for requirement in MaterialRequirement.objects.filter(item=item, mandatory=True):
    content = b"scan" + str(requirement.pk).encode()
    Material.objects.create(booking=booking, requirement=requirement, file=ContentFile(content, name="s.png"),
                            file_type="png", size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                            uploaded_by=resident)
case = case_create(actor=agent, booking=booking, form_data={"destination": "北京市"})
case_submit(case=case, actor=agent)   # queues reviews.tasks.route_case on the real broker after commit
result = {"case": case.pk}
"""
    return profile.django(code)


def test_worker_killed_mid_routing_routes_the_case_exactly_once(profile):
    profile.stop("worker")
    case_id = _submitted_case(profile)["case"]
    assert db_rows(profile, f"SELECT status FROM reviews_case WHERE id = {case_id}")[0][0] == "submitted"
    # Hold the case row: the worker's routing claim (a conditional UPDATE) blocks mid-task on it.
    holder = psycopg.connect(profile.database_url)
    holder.execute(f"SELECT id FROM reviews_case WHERE id = {case_id} FOR UPDATE")
    try:
        profile.start_worker()
        wait_for_lock_waiter(profile, timeout=30)
        profile.kill("worker")  # SIGKILL while the task is inside case_route
        killed_at = time.monotonic()
    finally:
        holder.rollback()
        holder.close()
    assert db_rows(profile, f"SELECT status FROM reviews_case WHERE id = {case_id}")[0][0] == "submitted"
    profile.start_worker()
    # Redelivery: after the visibility timeout (10 s here), at kombu's next scan of unacknowledged messages.
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        if db_rows(profile, f"SELECT status FROM reviews_case WHERE id = {case_id}")[0][0] != "submitted":
            break
        time.sleep(0.5)
    routed_after = time.monotonic() - killed_at
    time.sleep(12)  # one more visibility timeout: a second delivery would show up now
    assert db_rows(profile, f"SELECT status FROM reviews_case WHERE id = {case_id}")[0][0] == "assigned"
    assert db_rows(profile, f"SELECT count(*) FROM reviews_caserouting WHERE case_id = {case_id}")[0][0] == 1
    assert db_rows(profile, f"SELECT count(*) FROM reviews_caseevent WHERE case_id = {case_id} "
                            "AND action = 'routed'")[0][0] == 1
    print(f"\nworker SIGKILL mid-routing: case {case_id} routed once, {routed_after:.1f}s after the kill")


def wait_for_lock_waiter(profile, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = db_rows(profile, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{profile.name}' "
                                "AND wait_event_type = 'Lock'")
        if rows[0][0]:
            return
        time.sleep(0.2)
    raise TimeoutError("the worker never reached the locked case")


def test_database_connections_cut_in_flight_fail_cleanly_and_the_next_requests_succeed(profile):
    data = world(profile, residents=1, calls=1)
    session = data["calls"][0]["session"]
    urls = [f"{profile.base_url(n % 2)}/api/v1/bookings/" for n in range(2)]
    results: list[tuple[int, str]] = []
    stop = threading.Event()

    def hammer(url):
        with requests.Session() as http:
            while not stop.is_set():
                try:
                    response = http.get(url, headers=api_headers(session), timeout=15)
                    results.append((response.status_code, response.text[:200]))
                except requests.RequestException as exc:
                    results.append((-1, repr(exc)))

    threads = [threading.Thread(target=hammer, args=(url,)) for url in urls * 3]
    for thread in threads:
        thread.start()
    time.sleep(2)
    terminated = 0
    for _ in range(3):  # a restart, seen from the application: every connection dropped, three times over
        terminated += db_rows(profile, f"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                       f"WHERE datname = '{profile.name}' AND pid <> pg_backend_pid()")[0][0]
        time.sleep(1)
    cut_index = len(results)
    time.sleep(3)
    stop.set()
    for thread in threads:
        thread.join(20)
    assert terminated > 0
    failures = [r for r in results if r[0] != 200]
    for status, body in failures:
        assert status == 503, (status, body)  # no 500, no hang, no dropped connection
        assert json.loads(body)["code"] == "database_unavailable"
    tail = results[cut_index + 6:]
    assert tail and all(status == 200 for status, _ in tail), tail[:5]
    for n in range(2):
        assert requests.get(f"{profile.base_url(n)}/readyz", timeout=10).status_code == 200
    print(f"\npostgres connections cut x3 ({terminated} backends): {len(results)} requests, "
          f"{len(failures)} clean 503s, all later requests 200")


async def test_daphne_killed_its_peers_rejoin_through_the_other_process(profile):
    data = world(profile, residents=1, calls=1)
    call = data["calls"][0]
    resident, agent = await admitted_pair(profile, call, data["agent"]["session"], resident_web=0, agent_web=1)
    await signal_flows(resident, agent, "v=0 before-kill")
    profile.kill("web1")  # SIGKILL Daphne 1: the resident's socket dies with it
    killed_at = time.monotonic()
    assert await resident.closed_within(10) is not None
    rejoined = await reopen(resident, 1)  # nginx sends the reconnect to the surviving process
    assert rejoined["rejoined"] is True and rejoined["participant_id"] == resident.participant_id
    await signal_flows(resident, agent, "v=0 ice-restart", timeout=10)
    await signal_flows(agent, resident, "v=0 answer-after-kill", timeout=10)
    resumed_after = time.monotonic() - killed_at
    await resident.close()
    await agent.close()
    profile.start_web(0)
    print(f"\ndaphne 1 killed: resident rejoined on daphne 2 and signaling resumed after {resumed_after:.1f}s")

