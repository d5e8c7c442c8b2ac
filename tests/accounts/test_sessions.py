"""Database sessions read with one plain statement (accounts/sessions.py): the same answers as Django's."""
import datetime

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def stored_session(data: dict, *, expires_in: datetime.timedelta) -> str:
    store = SessionStore()
    store.update(data)
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_a_live_session_is_read_in_one_statement():
    key = stored_session({"step": "two", "n": 3}, expires_in=datetime.timedelta(hours=1))
    store = SessionStore(key)
    with CaptureQueriesContext(connection) as queries:
        assert store.load() == {"step": "two", "n": 3}
    assert len(queries) == 1
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


def test_no_key_no_query():
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(None).load() == {}
    assert len(queries) == 0


def test_login_logout_round_trip_through_the_store(org, resident):
    client = APIClient()
    client.force_login(resident)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code in (200, 204)
    assert client.get("/api/v1/me").status_code in (401, 403)
    assert not Session.objects.exists()
