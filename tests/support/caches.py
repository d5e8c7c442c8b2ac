"""The production cache aliases pointed at a Redis that is down (a closed loopback port, no mock)."""

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def dead_redis_caches() -> dict:
    """The production cache aliases (config/settings.py) pointed at a Redis that is down."""
    dead = {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": DEAD_REDIS}
    return {"default": {**dead, "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "IGNORE_EXCEPTIONS": True}},
            "throttle": {**dead, "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5}}}
