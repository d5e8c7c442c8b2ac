"""The production cache (config/cache.py) against the real Redis: counters and outages."""
import os

import pytest
from django.core.cache import caches

needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (a real Redis)")


@needs_redis
def test_incr_keeps_djangos_meaning_in_one_round_trip():
    from config.cache import TolerantRedisCache

    cache = caches["default"]
    assert isinstance(cache, TolerantRedisCache)
    cache.delete("counter")
    with pytest.raises(ValueError):  # no counter yet: callers set one
        cache.incr("counter")
    assert cache.get("counter") is None  # and none was made
    cache.set("counter", 7, timeout=None)
    commands = []
    client = cache._cache.get_client("counter", write=True)
    original = client.execute_command
    client.execute_command = lambda *args, **kwargs: commands.append(args[0]) or original(*args, **kwargs)
    try:
        assert cache.incr("counter") == 8
        assert cache.incr("counter", 5) == 13
    finally:
        del client.execute_command
    assert commands == ["EVALSHA", "EVALSHA"]
    assert cache.get("counter") == 13


def test_incr_during_an_outage_reads_as_no_counter(settings):
    from tests.resilience.test_degraded_mode import dead_redis_caches

    settings.CACHES = dead_redis_caches()
    with pytest.raises(ValueError):
        caches["default"].incr("counter")
