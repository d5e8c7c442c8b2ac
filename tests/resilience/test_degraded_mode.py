"""Degraded mode in-process: with Redis unreachable (a closed loopback port, no mock), requests that need it
answer 503 with a clear message, and requests that do not need it keep working."""
import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD_REDIS,
                                   "OPTIONS": {"socket_connect_timeout": 0.5}}}
    yield  # the settings fixture's setting_changed signal swaps the cache handlers both ways


def test_code_request_needs_redis_throttles_and_says_so(org, redis_down, sms_outbox):
    response = APIClient().post("/api/v1/auth/otp/request", {"phone": "13912340000"})
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "redis_unavailable" and "稍后重试" in body["detail"]
    assert int(response["Retry-After"]) > 0
    assert sms_outbox == []  # refused before any code was sent


def test_what_does_not_need_redis_keeps_working(org, redis_down):
    assert APIClient().get("/api/v1/catalog/categories/").status_code == 200
    assert APIClient().get("/healthz").status_code == 200
