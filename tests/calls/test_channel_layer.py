"""The channel layer in force: channels-redis' own pub/sub layer, configured as documented, carrying direct
sends in order and group sends only to members, between two processes (two layer instances) over a real
Redis, and carrying them again after its Redis connections were dropped. Skipped without REDIS_URL."""
import asyncio
import time
import uuid

import pytest
import redis
from channels.layers import get_channel_layer
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.conf import settings

pytestmark = [pytest.mark.redis]


@pytest.fixture
async def layers():
    if not getattr(settings, "REDIS_URL", ""):
        pytest.skip("needs REDIS_URL")
    config = {**settings.CHANNEL_LAYERS["default"]["CONFIG"], "prefix": f"t{uuid.uuid4().hex[:6]}"}
    made = [RedisPubSubChannelLayer(**config), RedisPubSubChannelLayer(**config)]  # two Daphne processes
    yield made
    for layer in made:
        await layer.flush()


def test_the_stock_pubsub_layer_is_the_one_in_force():
    if not getattr(settings, "REDIS_URL", ""):
        pytest.skip("needs REDIS_URL")
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert type(get_channel_layer()) is RedisPubSubChannelLayer


async def test_direct_sends_arrive_once_and_in_order(layers):
    sender, receiver = layers
    channel = await receiver.new_channel()
    for n in range(200):
        await sender.send(channel, {"type": "room.relay", "n": n})
    got = [(await asyncio.wait_for(receiver.receive(channel), 5))["n"] for _ in range(200)]
    assert got == list(range(200))


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


def named_layer(name: str, prefix: str) -> RedisPubSubChannelLayer:
    """A layer as configured, whose Redis connections carry `name` (CLIENT SETNAME, a documented option)."""
    config = settings.CHANNEL_LAYERS["default"]["CONFIG"]
    hosts = [{**host, "client_name": name} for host in config["hosts"]]
    return RedisPubSubChannelLayer(**{**config, "hosts": hosts, "prefix": prefix})


def clients_named(admin: redis.Redis, name: str) -> list[dict]:
    return [client for client in admin.client_list() if client.get("name") == name]


def drop_connections(admin: redis.Redis, name: str) -> int:
    """CLIENT KILL by id, for this test's own named connections only (never another client of the shared Redis)."""
    return sum(admin.client_kill_filter(_id=client["id"]) for client in clients_named(admin, name))


async def wait_until(predicate, what: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("dropped", ["both", "sender", "receiver"])
async def test_the_layer_carries_messages_again_after_its_redis_connections_are_dropped(dropped):
    if not getattr(settings, "REDIS_URL", ""):
        pytest.skip("needs REDIS_URL")
    tag = uuid.uuid4().hex[:8]
    names = {"sender": f"vc-test-sender-{tag}", "receiver": f"vc-test-receiver-{tag}"}
    sender, receiver = (named_layer(names[side], prefix=f"t{tag}") for side in ("sender", "receiver"))
    admin = redis.Redis.from_url(settings.REDIS_URL)
    try:
        channel = await receiver.new_channel()
        await receiver.group_add("unit.9", channel)
        await sender.send(channel, {"type": "room.relay", "n": 0})
        assert (await asyncio.wait_for(receiver.receive(channel), 5))["n"] == 0
        # What a Redis restart does to a process: the server closes every connection it had.
        killed = sum(drop_connections(admin, names[side]) for side in names if dropped in (side, "both"))
        assert killed >= 1
        # The subscriber connects again and subscribes again by itself (pub/sub keeps nothing for the
        # disconnected, so a message published before that would be lost, as after any restart).
        await wait_until(lambda: any(int(c.get("sub", 0)) >= 2 for c in clients_named(admin, names["receiver"])),
                         "the receiver did not subscribe again")
        # The sender's next commands go out on a fresh connection: no error, nothing lost.
        await sender.send(channel, {"type": "room.relay", "n": 1})
        await sender.group_send("unit.9", {"type": "inbox.send", "n": 2})
        got = [(await asyncio.wait_for(receiver.receive(channel), 5))["n"] for _ in range(2)]
        assert got == [1, 2]
    finally:
        for layer in (sender, receiver):
            await layer.flush()
        admin.close()
