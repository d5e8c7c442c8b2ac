"""The production channel layer: channels-redis pub/sub, with concurrent publishes and sockets that end with Redis.

Why pub/sub and not `RedisChannelLayer`: that layer keeps every socket of a process in one sorted set and
receives through one `BZPOPMIN` loop per process, four Redis round trips per message in a row (cleanup
script, pop, backup, unbackup) — the whole process's relays queue behind it (bench/signaling.py: p99 18× a
bare relay at 300 rooms). Pub/sub is one `PUBLISH` per message, pushed to the receiving process.

What pub/sub gives up, and why that is acceptable here: delivery is at most once and there is no
capacity. Our direct sends all go to process-specific channels, which no other process can consume, so a
message for a dead process was lost under the old layer too (after its 30 s expiry); room state lives in
the database, not in messages. No capacity means no `ChannelFull`: a receiver's backlog sits in its own
process instead of in Redis, bounded by the per-socket rate limit of the senders.

Three changes to channels-redis 4.3's `RedisPubSubChannelLayer`:
* a direct send to a channel of this very process (both peers of a room on one Daphne) goes straight into
  that channel's receive queue instead of out to Redis and back: only the process that made a channel
  subscribes to it, so nobody else could have read it; it is serialized all the same (the receiver gets a
  copy, as over Redis), and all of this process's sends to that channel take that path, so their order
  holds. Group sends still publish: groups have members in other processes;
* its shard publishes one message at a time under a lock shared with subscribe; we publish over the
  connection pool without it (one sender's messages still leave in order: a consumer awaits each send);
* its receive task logs a lost Redis connection and retries forever, leaving every socket open but deaf
  (and resubscribing it silently later, messages lost meanwhile). We end the receivers instead, as the
  old layer did: the consumers fail, Daphne closes their sockets, the pages reconnect and rejoin.
"""
import asyncio
import contextlib

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer, RedisSingleShardConnection
from channels_redis.utils import _close_redis, _wrap_close
from redis.exceptions import RedisError

from config.logging import get_logger

log = get_logger(__name__)


class ChannelLayerLost(ConnectionError):
    """The Redis connection that carried this channel's subscription went away."""


class _Shard(RedisSingleShardConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._outgoing: list[tuple[str, bytes, asyncio.Future]] = []
        self._publisher: asyncio.Task | None = None

    async def publish(self, channel, message):
        """Queue the message; one task sends whatever is queued in one pipelined round trip."""
        done = asyncio.get_running_loop().create_future()
        self._outgoing.append((channel, message, done))
        if self._publisher is None:
            self._publisher = asyncio.ensure_future(self._publish_queued())
        await done

    async def _publish_queued(self):
        try:
            while self._outgoing:
                batch, self._outgoing = self._outgoing, []
                try:
                    self._ensure_redis()
                    async with self._redis.pipeline(transaction=False) as pipe:
                        for channel, message, _done in batch:
                            pipe.publish(channel, message)
                        await pipe.execute()
                except BaseException as error:  # handed to every sender of the batch
                    for *_message, done in batch:
                        if not done.done():
                            done.set_exception(error if isinstance(error, Exception) else ChannelLayerLost())
                    if not isinstance(error, Exception):
                        raise
                else:
                    for *_message, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._publisher = None

    async def flush(self):
        if self._publisher is not None:
            self._publisher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._publisher
        for *_message, done in self._outgoing:
            done.cancel()
        self._outgoing = []
        await super().flush()

    async def _do_receiving(self):
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (RedisError, OSError) as error:
                await self._lost(error)
                return
            except Exception:  # noqa: BLE001 - a bad message must not stop the process's only receive loop
                log.exception("calls.channel_layer_receive_failed")
                await asyncio.sleep(1)

    async def _lost(self, error):
        log.warning("calls.channel_layer_lost", error=repr(error), channels=len(self._subscribed_to))
        async with self._lock:
            lost = ChannelLayerLost(repr(error))
            for name in self._subscribed_to:
                queue = self.channel_layer.channels.get(name)
                if queue is not None:
                    queue.put_nowait(lost)
            redis = self._redis
            self._redis = self._pubsub = self._receive_task = None
            self._subscribed_to = set()
        if redis is not None:
            with contextlib.suppress(Exception):
                await _close_redis(redis)


class _LoopLayer(RedisPubSubLoopLayer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._shards = [_Shard(shard.host, self) for shard in self._shards]

    async def _subscribe_to_channel(self, channel):
        try:
            await super()._subscribe_to_channel(channel)
        except BaseException:
            self.channels.pop(channel, None)  # a socket refused while Redis is down leaves nothing behind
            raise

    async def send(self, channel, message):
        queue = self.channels.get(channel)
        if queue is None:
            return await super().send(channel, message)
        queue.put_nowait(self.channel_layer.serialize(message))

    async def receive(self, channel):
        try:
            return await super().receive(channel)
        except ChannelLayerLost:
            self.channels.pop(channel, None)
            raise


class PubSubChannelLayer(RedisPubSubChannelLayer):
    def deserialize(self, message):
        if isinstance(message, ChannelLayerLost):
            raise message
        return super().deserialize(message)

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            layer = self._layers[loop] = _LoopLayer(*self._args, **self._kwargs, channel_layer=self)
            _wrap_close(self, loop)
        return layer
