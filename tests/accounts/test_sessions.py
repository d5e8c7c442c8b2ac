"""Sessions through Django's database engine (SESSION_ENGINE), seen from outside: a login lasts until
logout or expiry, an expired, unknown or tampered session is a new empty one."""
import datetime
from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def stored_session(data: dict, *, expires_in: datetime.timedelta) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_the_engine_is_djangos_own():
    assert settings.SESSION_ENGINE in ("django.contrib.sessions.backends.db",
                                       "django.contrib.sessions.backends.cached_db")


def test_a_live_session_reads_back():
    key = stored_session({"step": "two", "n": 3}, expires_in=datetime.timedelta(hours=1))
    store = SessionStore(key)
    assert store.load() == {"step": "two", "n": 3}
    assert store.session_key == key


def test_an_expired_or_unknown_session_is_a_new_empty_one():
    expired = stored_session({"step": "two"}, expires_in=-datetime.timedelta(seconds=1))
    for key in (expired, "x" * 32):
        store = SessionStore(key)
        assert store.load() == {}
        assert store.session_key is None  # saving it makes a new key: an old or guessed key is never revived


def test_a_tampered_session_reads_as_empty():
    key = stored_session({"step": "two"}, expires_in=datetime.timedelta(hours=1))
    Session.objects.filter(session_key=key).update(session_data="forged:data")
    assert SessionStore(key).load() == {}


def test_login_logout_round_trip(org, resident):
    client = APIClient()
    client.force_login(resident)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code in (200, 204)
    assert client.get("/api/v1/me").status_code in (401, 403)
    assert not Session.objects.exists()


def test_an_expired_login_is_refused(org, resident):
    client = APIClient()
    client.force_login(resident)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code in (401, 403)
