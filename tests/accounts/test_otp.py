import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import OneTimeCode, User

pytestmark = pytest.mark.django_db

REQUEST, VERIFY = "/api/v1/auth/otp/request", "/api/v1/auth/otp/verify"


def _request_code(api, sms_outbox, phone="13800000009"):
    response = api.post(REQUEST, {"phone": phone}, format="json")
    assert response.status_code == 202, response.content
    return re.search(r"\b(\d{6})\b", sms_outbox[-1]["message"]).group(1)


def test_right_code_logs_in_and_creates_the_resident(api, sms_outbox):
    code = _request_code(api, sms_outbox)
    stored = OneTimeCode.objects.get(phone="13800000009")
    assert code not in stored.code_hash  # only the hash is kept
    response = api.post(VERIFY, {"phone": "13800000009", "code": code}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == "resident"
    assert User.objects.get(phone="13800000009").role == User.Role.RESIDENT
    assert api.get("/api/v1/me").status_code == 200
    # single use
    again = api.post(VERIFY, {"phone": "13800000009", "code": code}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "otp_missing"


def test_wrong_code_counts_down_then_locks(api, sms_outbox):
    code = _request_code(api, sms_outbox)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = api.post(VERIFY, {"phone": "13800000009", "code": wrong}, format="json")
        assert response.status_code == 400
        assert response.json() == {"code": "otp_wrong", "detail": response.json()["detail"], "attempts_left": left}
    fifth = api.post(VERIFY, {"phone": "13800000009", "code": wrong}, format="json")
    assert fifth.status_code == 429 and fifth.json()["code"] == "otp_locked"
    # even the right code no longer works after five wrong tries
    right = api.post(VERIFY, {"phone": "13800000009", "code": code}, format="json")
    assert right.status_code == 429
    assert not User.objects.filter(phone="13800000009").exists()


def test_expired_code_refused(api, sms_outbox):
    code = _request_code(api, sms_outbox)
    with time_machine.travel(timezone.now() + timedelta(minutes=5, seconds=1)):
        response = api.post(VERIFY, {"phone": "13800000009", "code": code}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "otp_expired"


def test_code_requests_limited_per_phone_with_retry_time(api, sms_outbox):
    for _ in range(3):
        _request_code(api, sms_outbox)
    response = api.post(REQUEST, {"phone": "13800000009"}, format="json")
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "throttled" and body["retry_after"] > 0
    assert int(response["Retry-After"]) == body["retry_after"]
    assert len(sms_outbox) == 3


def test_code_requests_limited_per_address(api, sms_outbox, settings):
    for n in range(20):
        assert api.post(REQUEST, {"phone": f"1380000{n:04d}"}, format="json").status_code == 202
    response = api.post(REQUEST, {"phone": "13900000000"}, format="json")
    assert response.status_code == 429


def test_invalid_phone_gets_a_readable_error(api):
    response = api.post(REQUEST, {"phone": "12345"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "手机号" in response.json()["detail"]


def test_english_error_when_asked_in_english(api):
    response = api.post(REQUEST, {"phone": "12345"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "mobile" in response.json()["detail"].lower()


def test_the_code_request_answers_in_the_requests_language_with_the_codes_lifetime(api, sms_outbox, settings):
    settings.OTP_TTL_SECONDS = 240
    chinese = api.post(REQUEST, {"phone": "13800000019"}, format="json")
    english = api.post(REQUEST, {"phone": "13800000029"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert (chinese.status_code, chinese.json()) == (202, {"detail": "验证码已发送。", "expires_in": 240})
    assert (english.status_code, english.json()) == (202, {"detail": "Verification code sent.", "expires_in": 240})
