"""The production caches (django-redis, config/settings.py): counters keep Django's meaning, an outage of
Redis turns the default cache into misses while the throttle cache refuses."""
import os

import pytest
import redis
from django.core.cache import caches

from tests.support.caches import dead_redis_caches

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)")


@needs_redis
def test_incr_keeps_djangos_meaning():
    cache = caches["default"]
    cache.delete("counter")
    with pytest.raises(ValueError):  # no counter yet: callers set one
        cache.incr("counter")
    assert cache.get("counter") is None  # and none was made
    cache.set("counter", 7, timeout=None)
    assert cache.incr("counter") == 8
    assert cache.incr("counter", 5) == 13
    assert cache.get("counter") == 13


@needs_redis
def test_values_round_trip_through_redis():
    cache = caches["default"]
    cache.set_many({"a": (1, 2, b"body"), "b": {"x": 1}}, timeout=60)
    assert cache.get_many(["a", "b", "missing"]) == {"a": (1, 2, b"body"), "b": {"x": 1}}
    cache.delete("version")
    assert cache.get_or_set("version", 1, timeout=None) == 1
    assert cache.get_or_set("version", 5, timeout=None) == 1  # kept, not overwritten
    cache.delete_many(["a", "b", "version"])


def test_during_an_outage_reads_miss_and_writes_are_skipped(settings):
    settings.CACHES = dead_redis_caches()
    cache = caches["default"]
    assert cache.get("anything", "fallback") == "fallback"
    assert cache.get_many(["a", "b"]) == {}
    cache.set("key", 1)  # no error
    cache.set_many({"a": 1})
    cache.delete("key")
    assert cache.get_or_set("version", 1, timeout=None) == 1
    assert cache.incr("version") is None  # nothing counted; no error either


def test_during_an_outage_the_throttle_cache_refuses(settings):
    settings.CACHES = dead_redis_caches()
    with pytest.raises(redis.exceptions.ConnectionError):
        caches["throttle"].get("rate")
