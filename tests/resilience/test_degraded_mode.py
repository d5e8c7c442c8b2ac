"""Degraded mode in-process: with Redis unreachable (a closed loopback port, no mock), requests that need it
answer 503 with a clear message, and requests that do not need it keep working."""
import pytest
from rest_framework.test import APIClient

from tests.support.caches import dead_redis_caches

pytestmark = pytest.mark.django_db

@pytest.fixture
def redis_down(settings):
    settings.CACHES = dead_redis_caches()
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


def test_booking_needs_only_the_database(org, redis_down, settings):
    import datetime

    from django.utils import timezone

    from bookings import selectors
    from bookings.models import ServiceItem
    from stations.models import Unit
    from tests.factories import ResidentFactory

    station = Unit.objects.get(code="371702001")
    item = ServiceItem.objects.filter(active=True, approval_level="township").order_by("code").first()
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       "throttle": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    today = timezone.localdate()
    slot = selectors.slot_list(unit=station, item=item, date_from=today + datetime.timedelta(days=1),
                               date_to=today + datetime.timedelta(days=8))[0]
    settings.CACHES = dead_redis_caches()
    client = APIClient()
    client.force_authenticate(ResidentFactory())
    response = client.post("/api/v1/bookings/", {"unit": station.pk, "item": item.pk,
                                                 "starts_at": slot.starts_at.isoformat()},
                           format="json", HTTP_IDEMPOTENCY_KEY="redis-down-1")
    assert response.status_code == 201, (response.status_code, response.content[:300])
