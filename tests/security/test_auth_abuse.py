"""Attacks on logging in: guessing one-time codes, flooding SMS, spoofed client addresses, guessing staff
passwords, and cross-site writes with a victim's session (CSRF)."""
import re

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import OneTimeCode, User
from tests.factories import ResidentFactory, StaffFactory

pytestmark = pytest.mark.django_db
PHONE = "13912345678"


def code_of(sms_outbox, phone=PHONE) -> str:
    return re.search(r"\d{6}", [m for m in sms_outbox if m["phone"] == phone][-1]["message"]).group(0)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_guessing_a_code_burns_it_after_five_tries_and_the_right_code_then_fails(api, sms_outbox):
    assert api.post("/api/v1/auth/otp/request", {"phone": PHONE}).status_code == 202
    right = code_of(sms_outbox)
    statuses = [api.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": wrong(right)}).status_code
                for _ in range(settings.OTP_MAX_ATTEMPTS)]
    assert statuses[:-1] == [400] * (settings.OTP_MAX_ATTEMPTS - 1) and statuses[-1] == 429
    late = api.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": right})
    assert late.status_code == 429 and late.json()["code"] == "otp_locked"
    assert "_auth_user_id" not in api.session


def test_guesses_per_phone_are_bounded_across_fresh_codes(sms_outbox):
    """From many addresses (no per-address limit helps), one phone still gets at most
    3 codes x 5 tries in ten minutes: 15 guesses out of a million."""
    guesses = 0
    for address in range(10):
        client = APIClient(REMOTE_ADDR=f"127.0.1.{address}")
        if client.post("/api/v1/auth/otp/request", {"phone": PHONE}).status_code != 202:
            continue
        right = code_of(sms_outbox)
        while client.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": wrong(right)}).status_code == 400:
            guesses += 1
        guesses += 1  # the last, locking attempt
    assert guesses == 3 * settings.OTP_MAX_ATTEMPTS
    assert OneTimeCode.objects.filter(phone=PHONE).count() == 3


def test_sms_flood_to_one_phone_is_throttled_with_a_retry_time(api, sms_outbox):
    statuses = [api.post("/api/v1/auth/otp/request", {"phone": PHONE}).status_code for _ in range(6)]
    assert statuses == [202, 202, 202, 429, 429, 429]
    assert len(sms_outbox) == 3
    refused = api.post("/api/v1/auth/otp/request", {"phone": PHONE})
    assert refused.json()["code"] == "throttled" and refused.json()["retry_after"] > 0


def test_sms_flood_to_many_phones_from_one_address_is_throttled_even_with_spoofed_forwarded_for(sms_outbox):
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    statuses = [client.post("/api/v1/auth/otp/request", {"phone": f"1391000{n:04d}"},
                            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(25)]
    assert statuses.count(202) == 20 and statuses[20:] == [429] * 5
    assert len(sms_outbox) == 20


def test_code_verify_floods_from_one_address_are_throttled():
    client = APIClient(REMOTE_ADDR="198.51.100.8")
    statuses = [client.post("/api/v1/auth/otp/verify", {"phone": f"1391100{n:04d}", "code": "000000"},
                            HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(62)]
    assert 429 not in statuses[:60] and statuses[60:] == [429, 429]


@pytest.fixture
def staff(org):
    user = StaffFactory(username="agent-lockout")
    user.set_password("correct-horse-9")
    user.save()
    return user


def test_staff_lock_out_after_repeated_wrong_passwords(staff):
    client = APIClient(REMOTE_ADDR="198.51.100.9")
    statuses = [client.post("/api/v1/auth/login", {"username": staff.username, "password": f"guess-{n}"}).status_code
                for n in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[:-1] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert statuses[-1] == 429
    # Locked: even the right password is refused, from another address too (locked by account).
    other = APIClient(REMOTE_ADDR="198.51.100.10")
    locked = other.post("/api/v1/auth/login", {"username": staff.username, "password": "correct-horse-9"})
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"
    assert int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in other.session
    # Another account at the same address is not affected.
    colleague = StaffFactory(username="agent-colleague")
    colleague.set_password("correct-horse-9")
    colleague.save()
    assert other.post("/api/v1/auth/login", {"username": "agent-colleague",
                                             "password": "correct-horse-9"}).status_code == 200


def _session_client(user: User) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_session_writes_without_a_csrf_token_are_refused(org):
    resident = ResidentFactory()
    client = _session_client(resident)
    assert client.get("/api/v1/me").status_code == 200  # reads are fine
    for method, url, body in [
        ("patch", "/api/v1/me", {"real_name": "冒名"}),
        ("post", "/api/v1/bookings/", {"unit": 1, "item": 1, "starts_at": "2030-01-01T09:00:00+08:00"}),
        ("post", "/api/v1/auth/logout", {}),
        ("post", "/api/v1/calls/", {"resident_id": resident.pk}),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (url, response.status_code)
        assert "CSRF" in response.json()["detail"], response.json()
    resident.refresh_from_db()
    assert resident.real_name != "冒名"


def test_session_writes_with_the_csrf_token_pass_the_check(org):
    resident = ResidentFactory()
    client = _session_client(resident)
    token = "a" * 32
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = client.patch("/api/v1/me", {"real_name": "本人"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200, response.content
    # A token from another origin's page does not match the cookie.
    refused = client.patch("/api/v1/me", {"real_name": "冒名"}, format="json", HTTP_X_CSRFTOKEN="b" * 32)
    assert refused.status_code == 403
    resident.refresh_from_db()
    assert resident.real_name == "本人"


def test_session_cookie_flags(org):
    client = APIClient()
    client.post("/api/v1/auth/otp/request", {"phone": PHONE})
    from accounts.sms import LocmemSmsBackend

    code = re.search(r"\d{6}", LocmemSmsBackend.outbox[-1]["message"]).group(0)
    response = client.post("/api/v1/auth/otp/verify", {"phone": PHONE, "code": code})
    assert response.status_code == 200
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    # In production SECURE_COOKIES=true adds Secure (checked by test_production_settings).
