"""Helpers of the resilience tests: people and calls made inside the local production profile's Django, and
clients (API headers, a call-room peer over a real WebSocket) for its two Daphne processes."""
import asyncio
import json
import time

from scripts.prod_local import wait_for

SETUP_CODE = """
import datetime
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from bookings import selectors as booking_selectors
from bookings.models import Booking, ServiceItem
from calls.services import booking_call_create
from stations.models import StaffMembership, Unit
from accounts.validators import id_check_char

User = get_user_model()
station = Unit.objects.get(code=STATION)

def session_for(user):
    store = SessionStore()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    return store.session_key

def resident(n):
    first17 = "371702" + f"19{PREFIX[1:]}" + f"{1 + n // 28 % 12:02d}{1 + n % 28:02d}" + f"{n % 1000:03d}"
    user, _ = User.objects.get_or_create(
        username=f"{PREFIX}r{n}", defaults=dict(role="resident", phone=f"137{PHASE}{n:07d}"[:11],
        id_number=first17 + id_check_char(first17), real_name=f"测试{n}",
        home_county=station.county, home_township=station.township))
    return user

agent, _ = User.objects.get_or_create(username=f"{PREFIX}agent", defaults=dict(role="agent", real_name="坐席"))
StaffMembership.objects.get_or_create(user=agent, unit=station, defaults=dict(is_agent=True, is_reviewer=True,
                                                                                is_seal_keeper=True))
residents = [resident(n) for n in range(RESIDENTS)]
item = ServiceItem.objects.filter(active=True, approval_level="township").order_by("code").first()
today = timezone.localdate()
slots = booking_selectors.slot_list(unit=station, item=item, date_from=today + datetime.timedelta(days=1),
                                    date_to=today + datetime.timedelta(days=8))
calls = []
for n in range(CALLS):
    start = timezone.now() + datetime.timedelta(days=20, hours=n)
    booking = Booking.objects.create(unit=station, item=item, resident=residents[n], booked_by=residents[n],
                                     starts_at=start, ends_at=start + datetime.timedelta(minutes=20))
    calls.append({"booking": booking.pk, "call": str(booking_call_create(booking=booking).pk),
                  "resident": residents[n].pk, "session": session_for(residents[n])})
result = {"station": station.pk, "item": item.pk, "capacity": station.video_lines,
          "slots": [s.starts_at.isoformat() for s in slots],
          "agent": {"id": agent.pk, "session": session_for(agent)},
          "residents": [{"id": r.pk, "session": session_for(r)} for r in residents[CALLS:]],
          "calls": calls}
"""


_phase = iter(range(10, 100))


def world(profile, *, residents: int = 2, calls: int = 1) -> dict:
    """Residents with sessions, an agent of the station, booked calls: made inside the profile's Django."""
    phase = next(_phase)
    code = (f"STATION = '371702001'\nPREFIX = 'p{phase}'\nPHASE = '{phase % 10}'\n"
            f"RESIDENTS = {residents + calls}\nCALLS = {calls}\n" + SETUP_CODE)
    return profile.django(code)


def cookie_header(session: str) -> str:
    return f"sessionid={session}; csrftoken={'c' * 32}"


def api_headers(session: str) -> dict:
    return {"Cookie": cookie_header(session), "X-CSRFToken": "c" * 32, "Content-Type": "application/json"}


class Peer:
    """One person's browser tab in a call room, over a real WebSocket to one Daphne process."""

    def __init__(self, profile, session: str, call_id: str, name: str):
        self.profile, self.session, self.call_id, self.name = profile, session, call_id, name
        self.socket = None
        self.participant_id = None
        self.inbox: list[dict] = []

    async def open(self, web: int):
        from websockets.asyncio.client import connect

        port = self.profile.web_ports[web]
        self.socket = await connect(f"ws://127.0.0.1:{port}/ws/calls/{self.call_id}/",
                                    additional_headers={"Cookie": cookie_header(self.session),
                                                        "Origin": f"http://127.0.0.1:{port}"},
                                    open_timeout=5, ping_interval=None, max_size=2**20)
        await self.expect("hello")
        await self.send({"type": "join", **({"participant_id": self.participant_id} if self.participant_id else {})})
        joined = await self.expect("joined")
        self.participant_id = joined["participant_id"]
        return joined

    async def send(self, message: dict):
        await self.socket.send(json.dumps(message))

    async def expect(self, kind: str, timeout: float = 8, **match) -> dict:
        deadline = time.monotonic() + timeout
        for index, message in enumerate(self.inbox):
            if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return self.inbox.pop(index)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no {kind} {match or ''} in {timeout}s; saw "
                                   f"{[m.get('type') for m in self.inbox][-10:]}")
            message = json.loads(await asyncio.wait_for(self.socket.recv(), left))
            if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return message
            self.inbox.append(message)

    async def closed_within(self, seconds: float) -> int | None:
        """The close code if the server closes the socket within `seconds`, else None."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + seconds
        try:
            while time.monotonic() < deadline:
                message = await asyncio.wait_for(self.socket.recv(), deadline - time.monotonic())
                self.inbox.append(json.loads(message))
        except ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else 1006
        except TimeoutError:
            return None
        return None

    async def close(self):
        if self.socket is not None:
            await self.socket.close()


async def admitted_pair(profile, call: dict, agent_session: str, *, resident_web: int, agent_web: int):
    """The resident on one Daphne process, the agent on the other, admitted into one call."""
    resident = Peer(profile, call["session"], call["call"], "resident")
    agent = Peer(profile, agent_session, call["call"], "agent")
    await agent.open(agent_web)
    await resident.open(resident_web)
    await agent.send({"type": "admit", "participant_id": resident.participant_id})
    await resident.expect("peers")
    return resident, agent


async def signal_flows(sender: Peer, receiver: Peer, sdp: str, timeout: float = 8) -> dict:
    """An offer from one peer reaches the other (the relay goes through Redis when they sit on two processes)."""
    await sender.send({"type": "offer", "to": receiver.participant_id, "sdp": sdp})
    return await receiver.expect("offer", timeout=timeout, sdp=sdp)


async def reopen(peer: Peer, web: int, within: float = 30) -> dict:
    """A page's reconnect loop: try again every half second until the room takes it back."""
    deadline = time.monotonic() + within
    last = None
    while time.monotonic() < deadline:
        try:
            return await peer.open(web)
        except Exception as exc:  # refused, closed, timed out: the service is still recovering
            last = exc
            await asyncio.sleep(0.5)
    raise TimeoutError(f"{peer.name} could not rejoin within {within}s: {last!r}")


def wait_http(url: str, status: int, timeout: float = 30):
    from scripts.prod_local import http_status

    wait_for(lambda: http_status(url) == status, timeout=timeout, what=f"{url} -> {status}")
