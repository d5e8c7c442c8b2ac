"""A Redis cache that an outage of Redis cannot turn into a failed request: reads miss, writes are skipped.

The cache only ever holds what can be recomputed from the database (slot answers, versions), so a
booking keeps working while Redis restarts. Rate limits are different: they must not silently open,
so they use the strict "throttle" alias (see accounts/throttles.py).
"""
import functools

import redis
from django.core.cache.backends.redis import RedisCache

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


class TolerantRedisCache(RedisCache):
    get = _on_outage(lambda key, default=None, *a, **k: default)(RedisCache.get)
    get_many = _on_outage(lambda *a, **k: {})(RedisCache.get_many)
    set = _on_outage(lambda *a, **k: None)(RedisCache.set)
    set_many = _on_outage(lambda data, *a, **k: list(data))(RedisCache.set_many)
    add = _on_outage(lambda *a, **k: False)(RedisCache.add)
    incr = _on_outage(_cache_unavailable)(RedisCache.incr)
    delete = _on_outage(lambda *a, **k: False)(RedisCache.delete)
    delete_many = _on_outage(lambda *a, **k: None)(RedisCache.delete_many)
    touch = _on_outage(lambda *a, **k: False)(RedisCache.touch)
    has_key = _on_outage(lambda *a, **k: False)(RedisCache.has_key)
