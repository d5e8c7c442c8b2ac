"""Personal data (ID numbers, phone numbers) never appear raw in logs, error responses or error pages.

A whole resident journey runs with every logger at DEBUG: code login, profile with ID number, a proxy
booking for a relative, bad inputs, a foreign booking, missing pages. Every record is then rendered by the
handler the service really logs through (core/logging.py), and the raw numbers must not be in it."""
import logging
import re

import pytest
import structlog
from rest_framework.test import APIClient

from tests.factories import valid_id_number

pytestmark = pytest.mark.django_db
PHONE = "13987654321"
RELATIVE_PHONE = "13611112222"


def production_formatter() -> logging.Formatter:
    handlers = [h for h in logging.getLogger().handlers
                if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter)]
    assert handlers, "the structured handler of core/logging.py is not installed"
    return handlers[0].formatter


def test_no_raw_id_or_phone_in_logs_or_error_responses(org, caplog, sms_outbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    id_number, relative_id = valid_id_number(birth="19580312"), valid_id_number(birth="19300101")
    secrets_ = [PHONE, RELATIVE_PHONE, id_number, relative_id]
    bodies = []
    client = APIClient()
    with caplog.at_level(logging.DEBUG):
        bodies.append(client.post("/api/v1/auth/otp/request", {"phone": PHONE}))
        bodies.append(client.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": "000000"}))
        code = re.search(r"\d{6}", sms_outbox[-1]["message"]).group(0)
        bodies.append(client.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": code}))
        assert bodies[-1].status_code == 200
        bodies.append(client.patch("/api/v1/me", {"id_number": id_number[:-1] + "0" if id_number[-1] != "0"
                                                  else id_number[:-1] + "1"}, format="json"))
        bodies.append(client.patch("/api/v1/me", {"real_name": "张秀英", "id_number": id_number}, format="json"))
        assert bodies[-1].status_code == 200, bodies[-1].content
        me = client.get("/api/v1/me")
        bodies.append(me)
        from stations.models import Unit

        station = Unit.objects.get(code="371702001")
        item = (__import__("bookings.models", fromlist=["ServiceItem"]).ServiceItem.objects
                .filter(active=True, approval_level="township").order_by("code").first())
        slots = client.get(f"/api/v1/units/{station.pk}/slots/", {"item": item.pk})
        bodies.append(slots)
        free = [s for day in _days(slots.json()) for s in day]
        assert free, slots.content[:300]
        booking = client.post("/api/v1/bookings/", {
            "unit": station.pk, "item": item.pk, "starts_at": free[0]["starts_at"],
            "resident": {"real_name": "张老汉", "id_number": relative_id, "phone": RELATIVE_PHONE}},
            format="json", HTTP_IDEMPOTENCY_KEY="pii-1")
        bodies.append(booking)
        assert booking.status_code == 201, booking.content
        bodies.append(client.post("/api/v1/bookings/", {
            "unit": station.pk, "item": item.pk, "starts_at": free[0]["starts_at"],
            "resident": {"real_name": "张老汉", "id_number": "37170219300101999X", "phone": RELATIVE_PHONE}},
            format="json", HTTP_IDEMPOTENCY_KEY="pii-2"))
        bodies.append(client.get("/api/v1/bookings/"))
        bodies.append(client.get(f"/api/v1/bookings/{PHONE}/"))
        bodies.append(client.get(f"/api/v1/units/?near={PHONE}"))
        bodies.append(client.get(f"/no-such-page/{id_number}/"))
        bodies.append(client.get(f"/api/v1/no-such/{id_number}"))
        bodies.append(APIClient().post("/api/v1/auth/otp/request", {"phone": PHONE + "9"}))
    rendered = "\n".join(production_formatter().format(record) for record in caplog.records)
    assert len(caplog.records) >= 5, "the journey logged nothing: the capture is not working"
    for secret in secrets_:
        assert secret not in rendered, f"raw {secret} in the logs:\n" + "\n".join(
            line for line in rendered.splitlines() if secret in line)
    for response in bodies:
        if response.status_code >= 400:
            text = response.content.decode(errors="replace")
            for secret in secrets_:
                assert secret not in text, (response.status_code, text[:300])
    # The API shows the owner's own ID number masked only.
    assert id_number not in me.content.decode() and id_number[-4:] in me.content.decode()


def _days(payload):
    """Slots grouped by day, whatever the exact shape of the slots endpoint."""
    if isinstance(payload, dict):
        payload = payload.get("days") or payload.get("results") or payload.get("slots") or []
    for day in payload:
        if isinstance(day, dict) and "slots" in day:
            yield [s for s in day["slots"] if s.get("free", 1)]
        elif isinstance(day, dict) and "starts_at" in day:
            yield [day]


def test_the_log_formatter_masks_numbers_in_foreign_records():
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1,
                               "Bad Request: phone %s id %s", (PHONE, "371702195803120015"), None)
    rendered = production_formatter().format(record)
    assert PHONE not in rendered and "371702195803120015" not in rendered
    assert "139****4321" in rendered
