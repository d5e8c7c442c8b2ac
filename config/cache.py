"""A Redis cache that an outage of Redis cannot turn into a failed request: reads miss, writes are skipped.

The cache only ever holds what can be recomputed from the database (slot answers, versions), so a
booking keeps working while Redis restarts. Rate limits are different: they must not silently open,
so they use the strict "throttle" alias (see accounts/throttles.py).
"""
import functools
import threading

import redis
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from config.logging import get_logger

log = get_logger(__name__)
OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _on_outage(fallback):
    """Wrap a cache operation: during a Redis outage log it and return `fallback(*args)` instead."""

    def wrap(operation):
        @functools.wraps(operation)
        def tolerant(self, *args, **kwargs):
            try:
                return operation(self, *args, **kwargs)
            except OUTAGE:
                log.warning("cache.unavailable", operation=operation.__name__)
                return fallback(*args, **kwargs)

        return tolerant

    return wrap


def _cache_unavailable(*_args, **_kwargs):
    # incr's callers treat ValueError as "no counter yet" and fall back to set(), which is skipped.
    raise ValueError("cache unavailable")


_CLIENTS: dict[str, redis.Redis] = {}
_CLIENTS_LOCK = threading.Lock()


class SharedRedisClient(RedisCacheClient):
    """One connection pool and one redis.Redis per server for the whole process.

    Django's own client builds a redis.Redis (registering some 170 response callbacks) for every operation,
    and every thread has its own cache object with its own pool: under ASGI, where each request runs in a
    new thread, that was a new TCP connection to Redis per request. redis-py's pool is thread-safe.
    """

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        ident = f"{self._servers[index]}|{sorted(self._pool_options.items(), key=lambda kv: kv[0])!r}"
        client = _CLIENTS.get(ident)
        if client is None:
            with _CLIENTS_LOCK:
                client = _CLIENTS.get(ident)
                if client is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    client = _CLIENTS[ident] = self._client(connection_pool=pool)
        return client


# Django's incr asks EXISTS, then INCRBY: two round trips. The same answer in one (nil when there is no counter).
_INCR_EXISTING = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end"


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedRedisClient

    def _incr(self, key, delta=1, version=None):
        """Django's incr (ValueError when the key is missing) in one round trip: version counters are bumped
        after every booking's commit."""
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        # register_script only hashes the text (no round trip); EVALSHA loads it on a server that lacks it.
        value = client.register_script(_INCR_EXISTING)(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    get = _on_outage(lambda key, default=None, *a, **k: default)(RedisCache.get)
    get_many = _on_outage(lambda *a, **k: {})(RedisCache.get_many)
    set = _on_outage(lambda *a, **k: None)(RedisCache.set)
    set_many = _on_outage(lambda data, *a, **k: list(data))(RedisCache.set_many)
    add = _on_outage(lambda *a, **k: False)(RedisCache.add)
    incr = _on_outage(_cache_unavailable)(_incr)
    delete = _on_outage(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _on_outage(lambda *a, **k: None)(RedisCache.delete_many)
    touch = _on_outage(lambda *a, **k: False)(RedisCache.touch)
    has_key = _on_outage(lambda *a, **k: False)(RedisCache.has_key)
