"""A Redis cache that an outage of Redis cannot turn into a failed request: reads miss, writes are skipped.

The cache only ever holds what can be recomputed from the database (slot answers, versions), so a
booking keeps working while Redis restarts. Rate limits are different: they must not silently open,
so they use the strict "throttle" alias (see accounts/throttles.py).
"""
import redis
from django.core.cache.backends.redis import RedisCache

from config.logging import get_logger

log = get_logger(__name__)
OUTAGE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def _outage(operation: str) -> None:
    log.warning("cache.unavailable", operation=operation)


class TolerantRedisCache(RedisCache):
    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except OUTAGE:
            _outage("get")
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except OUTAGE:
            _outage("get_many")
            return {}

    def set(self, key, value, timeout=None, version=None):
        try:
            super().set(key, value, timeout if timeout is not None else self.default_timeout, version)
        except OUTAGE:
            _outage("set")

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout if timeout is not None else self.default_timeout, version)
        except OUTAGE:
            _outage("set_many")
            return list(data)

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout if timeout is not None else self.default_timeout, version)
        except OUTAGE:
            _outage("add")
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except OUTAGE:
            _outage("incr")
            raise ValueError("cache unavailable") from None

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except OUTAGE:
            _outage("delete")
            return False

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except OUTAGE:
            _outage("delete_many")

    def touch(self, key, timeout=None, version=None):
        try:
            return super().touch(key, timeout if timeout is not None else self.default_timeout, version)
        except OUTAGE:
            _outage("touch")
            return False

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except OUTAGE:
            _outage("has_key")
            return False
