"""The channel layer in force: channels-redis' own pub/sub layer, configured as documented, carrying direct
sends in order and group sends only to members, between two processes (two layer instances) over a real
Redis. Skipped without REDIS_URL."""
import asyncio
import uuid

import pytest
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
