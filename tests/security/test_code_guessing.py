"""Parallel guesses cannot get past the five tries of a login code or a sealing confirmation code.

Each check claims its try in the database before the (slow) hash comparison, so at most five checks ever
run per code, whatever the number of concurrent requests or addresses.
"""
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.utils import timezone

from accounts.models import OneTimeCode
from accounts.services import otp_verify
from tests.concurrency import all_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="real concurrent connections (PostgreSQL); SQLite serialises writers"),
]

GUESSES = 13  # 12 wrong and the right one, all at once
RIGHT = "246810"


def guesses(right: str) -> list[str]:
    wrong = [f"{(int(right) + step) % 10**6:06d}" for step in range(1, GUESSES)]
    return wrong[:6] + [right] + wrong[6:]


def test_parallel_login_code_guesses_get_five_checks_at_most(settings):
    # The production hasher: a slow check, the window the guesses raced through.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    phone = "13900000123"
    OneTimeCode.objects.create(phone=phone, code_hash=make_password(RIGHT),
                               expires_at=timezone.now() + timedelta(minutes=5))
    outcomes = all_at_once([lambda code=code: otp_verify(phone=phone, code=code) for code in guesses(RIGHT)])

    logged_in = [outcome for outcome in outcomes if not isinstance(outcome, str)]
    assert set(outcomes) - set(logged_in) <= {"otp_wrong", "otp_locked", "otp_used", "no_connection"}, outcomes
    checked = logged_in + [outcome for outcome in outcomes if outcome == "otp_wrong"]
    assert len(checked) <= settings.OTP_MAX_ATTEMPTS, outcomes
    assert OneTimeCode.objects.get(phone=phone).failed_attempts <= settings.OTP_MAX_ATTEMPTS
