"""Every inbound frame on the three socket routes is checked once, on arrival: what cannot be relayed (text
holding a lone surrogate, a non-UUID id, an infinite number, JSON nested past the parser) is refused to its
sender with an `error`, the sender's socket stays up, and nobody else receives anything. Paths that name no
call or no route close with 4404, never with a server error.

The test sockets check every frame they receive is UTF-8 (tests/calls/conftest.py, `Socket.recv`), as a
real WebSocket text frame must be."""
import json

import pytest

from tests.support.calls import adb, make_booking, make_resident, make_staff, open_socket, room

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def in_call(calls_org):
    """An agent and an admitted resident in one booked call: (resident socket, agent socket, agent's id)."""
    resident = await adb(make_resident)(calls_org)
    agent = await adb(make_staff)(calls_org.station1a)
    booking = await adb(make_booking)(calls_org, resident=resident)
    call_id = await adb(lambda: str(booking.call.pk))()
    agent_socket = await room(call_id, agent)
    agent_id = (await agent_socket.join())["participant_id"]
    resident_socket = await room(call_id, resident)
    resident_id = (await resident_socket.join())["participant_id"]
    await agent_socket.send({"type": "admit", "participant_id": resident_id})
    await resident_socket.expect("peers")
    await agent_socket.drain()
    return resident_socket, agent_socket, agent_id


async def still_relays(sender, receiver, receiver_id):
    await sender.send({"type": "offer", "to": receiver_id, "sdp": "v=0 still here"})
    assert (await receiver.expect("offer"))["sdp"] == "v=0 still here"


async def test_text_that_cannot_be_relayed_is_refused_to_its_sender_and_reaches_nobody(calls_org):
    resident, agent, agent_id = await in_call(calls_org)
    # json.dumps escapes the surrogate ("\ud800"), as a hostile client would send it.
    for message in ({"type": "chat", "text": "a\ud800b"},
                    {"type": "offer", "to": agent_id, "sdp": "v=0\ud800"},
                    {"type": "ice-candidate", "to": agent_id, "candidate": "candidate:\udfff"},
                    {"type": "media-state", "connection": "connected", "peer": agent_id, "muted": True,
                     "camera_off": False, "audio_only": False, "note": "\ud800"}):
        await resident.send(message)
        if "note" in message:  # a field the type does not declare is dropped, not relayed
            continue
        error = await resident.expect("error")
        assert error["code"] == "bad_text" and error["ref"] == message["type"], error
    assert not [m for m in await agent.drain() if m["type"] in {"chat", "offer", "ice-candidate"}]
    await still_relays(resident, agent, agent_id)


async def test_undeclared_fields_are_not_relayed(calls_org):
    resident, agent, agent_id = await in_call(calls_org)
    await resident.send({"type": "offer", "to": agent_id, "sdp": "v=0", "extra": "\ud800", "from": "someone"})
    offer = await agent.expect("offer")
    assert set(offer) == {"type", "from", "sdp"} and offer["from"] != "someone"


@pytest.mark.parametrize(("raw", "code"), [
    (json.dumps({"type": "\ud800"}), "unknown_type"),
    ("[" * 30000 + "]" * 30000, "bad_json"),
    ('{"type": "ping", "ts": 1e999}', "bad_field"),
    ('{"type": "ping", "ts": NaN}', "bad_field"),
    (json.dumps({"type": "hold", "participant_id": "not-a-uuid"}), "bad_field"),
    (json.dumps({"type": "admit", "participant_id": ["x"]}), "bad_field"),
    (json.dumps({"type": "join", "participant_id": "1; drop table"}), "bad_field"),
])
async def test_malformed_room_messages_answer_an_error_and_the_room_survives(calls_org, raw, code):
    resident, agent, agent_id = await in_call(calls_org)
    await resident.send(raw)
    assert (await resident.expect("error"))["code"] == code
    assert await agent.nothing()
    await still_relays(resident, agent, agent_id)


async def test_a_room_path_that_names_no_call_closes_4404(calls_org):
    resident = await adb(make_resident)(calls_org)
    for path in ("/ws/calls/not-a-uuid/", "/ws/calls/%F0%9F%98%80/", "/ws/calls/00000000-0000-0000-0000-000000000000/"):
        assert await (await open_socket(path, resident)).closed() == 4404, path


async def test_paths_no_route_takes_close_4404(calls_org):
    agent = await adb(make_staff)(calls_org.station1a)
    for path in ("/ws/stations/abc/", "/ws/stations/99999999999999999999999/", "/ws/nowhere/", "/ws/me/extra/"):
        assert await (await open_socket(path, agent)).closed() == 4404, path
    # A unit that does not exist or is not the agent's: refused, not a database error.
    assert await (await open_socket("/ws/stations/999999999999999999/", agent)).closed() == 4403


async def test_console_and_inbox_refuse_ids_that_are_not_uuids_and_stay_up(calls_org):
    agent = await adb(make_staff)(calls_org.station1a)
    console = await open_socket(f"/ws/stations/{calls_org.station1a.pk}/", agent)
    await console.expect("waiting-list")
    inbox = await open_socket("/ws/me/", agent)
    await inbox.expect("hello")
    refused = [
        (console, {"type": "admit", "call_id": "not-a-uuid", "all": True}),
        (console, {"type": "admit", "call_id": "00000000-0000-0000-0000-000000000000", "participant_id": "x"}),
        (console, {"type": "accept", "call_id": "\ud800"}),
        (inbox, {"type": "decline", "call_id": 7}),
        (inbox, {"type": "accept", "call_id": None}),
    ]
    for socket, message in refused:
        await socket.send(message)
        error = await socket.expect("error")
        assert error["code"] in {"bad_field", "bad_text"}, (message, error)
    for socket in (console, inbox):
        await socket.send({"type": "ping", "ts": 5})
        assert (await socket.expect("pong"))["ts"] == 5


async def test_ice_servers_for_a_call_id_that_is_not_a_uuid_is_not_found(calls_org):
    from django.test import Client

    resident = await adb(make_resident)(calls_org)

    def ask():
        client = Client()
        client.force_login(resident)
        return client.get("/api/v1/calls/ice-servers/", {"call": "not-a-uuid"})

    response = await adb(ask)()
    assert response.status_code == 404 and response.json()["code"] == "not_found"
