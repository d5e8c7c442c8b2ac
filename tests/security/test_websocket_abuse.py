"""WebSocket abuse against the real consumers (Channels' WebsocketCommunicator on config.asgi): a message
flood, oversized frames, binary junk and unknown types. The socket answers with errors, drops what it must,
stays usable, and the room is not affected."""
import asyncio
import json
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.factories import session_cookie
from tests.support.security import build_world


async def connect(path: str, user) -> WebsocketCommunicator:
    from config.asgi import application

    cookie = await database_sync_to_async(session_cookie)(user)
    communicator = WebsocketCommunicator(application, path, headers=[
        (b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1"), (b"cookie", cookie.encode())])
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello", hello
    return communicator


async def drain(communicator, timeout=0.5) -> list[dict]:
    # receive_nothing() waits without cancelling the application (a receive timeout would cancel it).
    messages = []
    while not await communicator.receive_nothing(timeout=timeout):
        messages.append(await communicator.receive_json_from(timeout=timeout))
    return messages


@pytest.fixture
def room_world(org, settings, tmp_path, fresh_channel_layer):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SEALING_REQUIRED = False
    settings.CALL_MESSAGE_RATE, settings.CALL_MESSAGE_BURST = 20, 40


@pytest.mark.django_db(transaction=True)
async def test_flood_and_oversized_frames_are_dropped_and_the_socket_survives(room_world, settings):
    world = await database_sync_to_async(build_world)()
    socket = await connect(f"/ws/calls/{world.call.pk}/", world.resident)
    await socket.send_json_to({"type": "join"})
    answers = await drain(socket)
    assert any(m["type"] == "joined" for m in answers), answers

    # Flood: 300 pings at once. The token bucket (20/s, burst 40) lets ~40 through, refuses the rest.
    started = time.monotonic()
    for n in range(300):
        await socket.send_json_to({"type": "ping", "ts": n})
    # Every ping gets one answer, a pong or a refusal: read all 300, however slow the machine is today.
    pongs, limited = [], []
    while len(pongs) + len(limited) < 300:
        reply = await socket.receive_json_from(timeout=30)
        if reply["type"] == "pong":
            pongs.append(reply)
        elif reply.get("code") == "rate_limited":
            limited.append(reply)
    elapsed = time.monotonic() - started
    # The bucket's rule, whatever the machine's speed: the burst, plus what refilled while the flood lasted.
    assert 40 <= len(pongs) <= 40 + 20 * elapsed + 1, (len(pongs), elapsed)
    assert limited and await socket.receive_nothing(timeout=0.5)  # and nothing more than one answer each
    assert limited[0]["detail"]

    # Oversized frame (above CALL_MESSAGE_MAX_BYTES): dropped with an error, not parsed, not relayed.
    await asyncio.sleep(2.5)  # the bucket refills
    from calls import conf

    await socket.send_to(text_data=json.dumps({"type": "chat", "text": "x" * conf.message_max_bytes()}))
    await socket.send_to(text_data="y" * (200 * 1024))
    await socket.send_to(bytes_data=b"\x00\xff" * 50_000)
    await socket.send_to(text_data="{not json")
    await socket.send_to(text_data=json.dumps([1, 2, 3]))
    await socket.send_to(text_data=json.dumps({"type": "__class__"}))
    await socket.send_to(text_data=json.dumps({"type": "offer", "to": {"$ne": 1}, "sdp": 5}))
    codes = [m.get("code") for m in await drain(socket, timeout=1.0)]
    assert codes.count("too_large") == 3, codes
    assert {"bad_json", "bad_message", "unknown_type", "bad_field"} <= set(codes), codes

    # Still alive and still in the room.
    await socket.send_json_to({"type": "ping", "ts": 1})
    assert any(m["type"] == "pong" for m in await drain(socket, timeout=1.0))
    from calls.models import Participant

    present = await database_sync_to_async(
        lambda: Participant.objects.filter(call_id=world.call.pk, user=world.resident, channel_name__isnull=False)
        .count())()
    assert present == 1
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_sockets_refuse_foreign_origins_and_anonymous_users(room_world):
    from config.asgi import application

    world = await database_sync_to_async(build_world)()
    cookie = await database_sync_to_async(session_cookie)(world.resident)
    foreign = WebsocketCommunicator(application, f"/ws/calls/{world.call.pk}/", headers=[
        (b"host", b"127.0.0.1"), (b"origin", b"https://evil.example"), (b"cookie", cookie.encode())])
    connected, _ = await foreign.connect(timeout=5)
    assert not connected  # cross-site WebSocket hijacking: refused before the consumer runs
    anonymous = WebsocketCommunicator(application, f"/ws/calls/{world.call.pk}/", headers=[
        (b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")])
    connected, _ = await anonymous.connect(timeout=5)
    if connected:
        closed = await anonymous.receive_output(timeout=3)
        assert closed["type"] == "websocket.close" and closed.get("code") == 4401
