"""The call tests' own small organisation, bookings with their calls, and sockets into call rooms.

Sockets go to the real ASGI application (origin check, session auth, URL router) through Channels'
WebsocketCommunicator. Also used outside pytest: tests/calls/webrtc_scenario.py prepares a test Daphne's data.
"""
import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.models import User
from bookings.models import Booking, BookingStatus, Category, MaterialRequirement, ServiceItem
from calls.services import booking_call_create
from stations.models import Division, Unit
from tests.factories import BookingFactory, ResidentFactory, session_cookie, staff_at


@dataclass
class Org:
    county1: Division
    county2: Division
    town1a: Division
    town1b: Division
    town2a: Division
    department: Unit
    workstation1: Unit
    workstation2: Unit
    station1a: Unit
    station1b: Unit
    station2a: Unit
    item: ServiceItem
    requirements: list


def make_org() -> Org:
    tag = uuid.uuid4().hex[:4]
    county1 = Division.objects.create(code=f"C1{tag}", name="测试一县", level="county")
    county2 = Division.objects.create(code=f"C2{tag}", name="测试二县", level="county")
    town1a = Division.objects.create(code=f"C1{tag}a", name="甲镇", level="township", parent=county1)
    town1b = Division.objects.create(code=f"C1{tag}b", name="乙镇", level="township", parent=county1)
    town2a = Division.objects.create(code=f"C2{tag}a", name="丙镇", level="township", parent=county2)

    def unit(code, kind, name, **kw):
        return Unit.objects.create(code=f"{code}{tag}", kind=kind, name=name, **kw)

    department = unit("D", Unit.Kind.CITY_DEPARTMENT, "待遇审核科(测)")
    workstation1 = unit("W1", Unit.Kind.COUNTY_WORKSTATION, "一县工作站", county=county1)
    workstation2 = unit("W2", Unit.Kind.COUNTY_WORKSTATION, "二县工作站", county=county2)
    station1a = unit("S1a", Unit.Kind.TOWNSHIP_STATION, "甲镇服务站", county=county1, township=town1a,
                     parent=workstation1, video_lines=1)
    station1b = unit("S1b", Unit.Kind.TOWNSHIP_STATION, "乙镇服务站", county=county1, township=town1b,
                     parent=workstation1)
    station2a = unit("S2a", Unit.Kind.TOWNSHIP_STATION, "丙镇服务站", county=county2, township=town2a,
                     parent=workstation2)
    category = Category.objects.create(code=f"K{tag}", name="测试类别")
    item = ServiceItem.objects.create(code=f"I{tag}", category=category, name="门诊慢特病认定",
                                      approval_level="county", time_limit_days=5, session_minutes=15)
    requirements = [
        MaterialRequirement.objects.create(item=item, code="id_card", name="身份证", mandatory=True,
                                           accepted_types=["jpeg"], sort=0),
        MaterialRequirement.objects.create(item=item, code="diagnosis", name="诊断证明", mandatory=True,
                                           accepted_types=["jpeg", "pdf"], sort=1),
        MaterialRequirement.objects.create(item=item, code="extra", name="其他", mandatory=False,
                                           accepted_types=["jpeg"], sort=2),
    ]
    return Org(county1, county2, town1a, town1b, town2a, department, workstation1, workstation2, station1a,
               station1b, station2a, item, requirements)


# Every socket a test opened; the calls_org fixture ends them after the test.
OPEN_SOCKETS: list = []


def make_resident(org: Org, *, township=None, **kw) -> User:
    township = township or org.town1a
    return ResidentFactory(home_county=township.parent, home_township=township, **kw)


def make_staff(unit: Unit, *, role=User.Role.AGENT, is_agent=True, on_duty=True, **rights) -> User:
    """Staff of `unit`: an agent on duty unless told otherwise."""
    return staff_at(unit, role=role, is_agent=is_agent, on_duty=on_duty, **rights)


def make_booking(org: Org, *, resident: User, unit: Unit | None = None, booked_by: User | None = None,
                 starts_in_minutes: int = 0) -> Booking:
    """A booked session of the org's item starting `starts_in_minutes` from now, with its call."""
    booking = BookingFactory(unit=unit or org.station1a, item=org.item, resident=resident,
                             booked_by=booked_by or resident, status=BookingStatus.BOOKED,
                             starts_at=timezone.now() + timedelta(minutes=starts_in_minutes))
    booking_call_create(booking=booking)
    return booking


class Socket:
    """A WebsocketCommunicator with the helpers the tests need."""

    def __init__(self, communicator: WebsocketCommunicator):
        self.communicator = communicator
        self.connected = False
        self.log: list[dict] = []

    async def send(self, payload):
        await self.communicator.send_to(text_data=payload if isinstance(payload, str) else json.dumps(payload))

    async def recv(self, timeout: float = 3) -> dict:
        output = await self.communicator.receive_output(timeout)
        if output["type"] == "websocket.close":
            return {"type": "__closed__", "code": output.get("code")}
        output["text"].encode("utf-8")  # a real text frame is UTF-8: a lone surrogate would fail the socket here
        message = json.loads(output["text"])
        self.log.append(message)
        return message

    async def expect(self, kind: str, timeout: float = 3, **match) -> dict:
        """Read until a message of `kind` (matching `match`) arrives; fail on close or timeout."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {kind} {match} within {timeout}s; seen {self.log[-8:]}")
            try:
                message = await self.recv(left)
            except TimeoutError:
                raise AssertionError(f"no {kind} {match} within {timeout}s; seen {self.log[-8:]}")
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message
            if message["type"] == "__closed__" and kind != "__closed__":
                raise AssertionError(f"closed ({message['code']}) while waiting for {kind}; seen {self.log[-8:]}")

    async def closed(self, timeout: float = 3) -> int:
        return (await self.expect("__closed__", timeout))["code"]

    async def drain(self, timeout: float = 0.3) -> list[dict]:
        """Everything that arrives within `timeout`."""
        seen = []
        # receive_nothing, not a timed receive_output: a timeout there cancels the application.
        while not await self.communicator.receive_nothing(timeout):
            seen.append(await self.recv())
        return seen

    async def nothing(self, timeout: float = 0.3) -> bool:
        return await self.communicator.receive_nothing(timeout)

    async def join(self, **extra) -> dict:
        await self.send({"type": "join", **extra})
        return await self.expect("joined")

    async def close(self):
        await self.communicator.disconnect()


async def open_socket(path: str, user: User | None = None, *, origin: str = "http://127.0.0.1",
                      host: str = "127.0.0.1", extra_headers: list | None = None) -> Socket:
    from config.asgi import application

    headers = [(b"host", host.encode()), *(extra_headers or [])]
    if origin:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        headers.append((b"cookie", (await database_sync_to_async(session_cookie)(user)).encode()))
    socket = Socket(WebsocketCommunicator(application, path, headers=headers))
    OPEN_SOCKETS.append(socket)
    socket.connected, _ = await socket.communicator.connect(timeout=5)
    return socket


async def room(call_id, user, **kw) -> Socket:
    socket = await open_socket(f"/ws/calls/{call_id}/", user, **kw)
    assert socket.connected
    hello = await socket.recv()
    assert hello["type"] == "hello", hello
    return socket


adb = database_sync_to_async
