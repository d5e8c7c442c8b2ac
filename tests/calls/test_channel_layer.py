"""The production channel layer (calls/channel_layer.py) against a real Redis: delivery, order, groups, and
sockets that end when Redis goes away. Skipped without REDIS_URL; the outage test starts a private
redis-server on a free loopback port (skipped when the binary is missing) and never touches the shared one."""
import asyncio
import socket
import subprocess
import uuid

import pytest
from django.conf import settings
from redis.exceptions import ConnectionError as RedisConnectionError

from calls.channel_layer import ChannelLayerLost, PubSubChannelLayer
from tests.system_tools import require

pytestmark = [pytest.mark.redis, pytest.mark.asyncio]


def layer_on(url: str, prefix: str = "") -> PubSubChannelLayer:
    return PubSubChannelLayer(hosts=[{"address": url, "socket_timeout": 30}],
                              prefix=prefix or f"t{uuid.uuid4().hex[:6]}")


@pytest.fixture
async def layers():
    if not getattr(settings, "REDIS_URL", ""):
        pytest.skip("needs REDIS_URL")
    prefix = f"t{uuid.uuid4().hex[:6]}"
    made = [layer_on(settings.REDIS_URL, prefix), layer_on(settings.REDIS_URL, prefix)]  # two processes
    yield made
    for layer in made:
        await layer.flush()


async def test_direct_sends_arrive_once_and_in_order(layers):
    sender, receiver = layers
    channel = await receiver.new_channel()
    await asyncio.gather(*(sender.send(channel, {"type": "room.relay", "n": n}) for n in range(200)))
    got = [(await asyncio.wait_for(receiver.receive(channel), 5))["n"] for _ in range(200)]
    assert got == list(range(200))


async def test_sends_to_a_channel_of_this_process_stay_in_process_in_order_and_as_copies(layers, monkeypatch):
    layer, other = layers
    local, remote = await layer.new_channel(), await other.new_channel()
    shard = layer._get_layer()._shards[0]
    published, publish = [], shard.publish

    async def recording_publish(channel, message):
        published.append(channel)
        await publish(channel, message)

    monkeypatch.setattr(shard, "publish", recording_publish)
    payload = {"n": 0}
    for n in range(100):
        payload["n"] = n  # the receiver gets the message as it was when sent, as over Redis
        await layer.send(local, {"type": "room.relay", "payload": payload})
        await layer.send(remote, {"type": "room.relay", "payload": payload})
    await other.send(local, {"type": "room.relay", "payload": {"n": "from the other process"}})

    assert published == [remote] * 100  # the other process's channel still goes over Redis
    got = [(await asyncio.wait_for(layer.receive(local), 5))["payload"]["n"] for _ in range(101)]
    assert got == [*range(100), "from the other process"]
    assert [(await asyncio.wait_for(other.receive(remote), 5))["payload"]["n"] for _ in range(100)] == list(range(100))


async def test_group_send_reaches_members_of_other_processes_only_while_they_are_members(layers):
    sender, receiver = layers
    member, other = await receiver.new_channel(), await receiver.new_channel()
    await receiver.group_add("unit.7", member)
    await sender.group_send("unit.7", {"type": "inbox.send", "payload": {"n": 1}})
    assert (await asyncio.wait_for(receiver.receive(member), 5))["payload"] == {"n": 1}
    await receiver.group_discard("unit.7", member)
    await sender.group_send("unit.7", {"type": "inbox.send", "payload": {"n": 2}})
    await sender.send(other, {"type": "marker"})
    assert (await asyncio.wait_for(receiver.receive(other), 5))["type"] == "marker"
    pending = asyncio.ensure_future(receiver.receive(member))
    await asyncio.sleep(0.2)
    assert not pending.done()
    pending.cancel()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_receivers_end_when_redis_goes_away_and_new_channels_work_when_it_is_back():
    require("redis-server")
    port = _free_port()

    def start():
        return subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                 "--appendonly", "no"], stdout=subprocess.DEVNULL)

    async def ready(layer):
        for _ in range(50):
            try:
                return await layer.new_channel()
            except RedisConnectionError:
                await asyncio.sleep(0.1)
        raise AssertionError("private redis-server did not start")

    server = start()
    layer = layer_on(f"redis://127.0.0.1:{port}/0")
    try:
        channel = await ready(layer)
        waiting = asyncio.ensure_future(layer.receive(channel))
        await asyncio.sleep(0.2)
        server.terminate()
        server.wait(10)
        # The consumer waiting on this channel fails (so Daphne closes its socket), it does not hang deaf.
        with pytest.raises(ChannelLayerLost):
            await asyncio.wait_for(waiting, 20)
        assert channel not in layer._get_layer().channels
        with pytest.raises(RedisConnectionError):
            await layer.new_channel()  # a socket opened meanwhile is refused, not half-open
        assert not layer._get_layer().channels

        server = start()
        fresh = await ready(layer)
        await layer.send(fresh, {"type": "after"})
        assert (await asyncio.wait_for(layer.receive(fresh), 5))["type"] == "after"
    finally:
        await layer.flush()
        server.terminate()
        server.wait(10)
