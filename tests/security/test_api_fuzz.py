"""Schemathesis against /api/schema/: every operation, fuzzed from the OpenAPI schema, as an anonymous
visitor, a resident and a station agent (with valid session and CSRF token, so writes reach the views).
No input may produce a 500. Bounded: a few examples per operation, in-process through Django's WSGI app."""
import pytest
import schemathesis
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from accounts.models import User
from tests.factories import ResidentFactory, staff_at

CSRF = "s" * 32
EXAMPLES = 4  # per operation, each sent as three identities


def session_for(user) -> dict:
    if user is None:
        return {}
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


@pytest.fixture
def identities(db, org) -> dict:
    """Anonymous, a resident, and an agent + reviewer of a station: each with a CSRF token that matches."""
    from stations.models import Unit

    agent = staff_at(Unit.objects.get(code="371702001"), role=User.Role.AGENT, is_agent=True, is_reviewer=True)
    return {name: {**session_for(user), settings.CSRF_COOKIE_NAME: CSRF}
            for name, user in {"anonymous": None, "resident": ResidentFactory(), "agent": agent}.items()}


def test_no_operation_answers_500(identities, settings, tmp_path):
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    settings.MEDIA_ROOT = tmp_path
    # As Django's test client does: the raw WSGI handler would close the test transaction's connection
    # around every request (request_started/request_finished -> close_old_connections).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        _fuzz(identities)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(identities):
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    failures, calls, operations = [], [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def run(case):
            for name, cookies in identities.items():
                response = case.call(headers={"X-CSRFToken": CSRF, "Idempotency-Key": "fuzz-key"}, cookies=cookies)
                calls.append(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{name}: {case.method} {case.formatted_path} -> {response.status_code}\n"
                                    f"{case.as_curl_command()}\n{response.text[:300]}")

        run()
    print(f"schemathesis: {operations} operations, {len(calls)} requests, statuses "
          f"{dict(sorted(__import__('collections').Counter(calls).items()))}")
    assert operations >= 30 and len(calls) >= operations * 3
    assert not failures, "\n\n".join(failures[:10])
