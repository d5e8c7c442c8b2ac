"""Schemathesis against /api/schema/: every operation, fuzzed from the OpenAPI schema, as an anonymous
visitor, a resident and a station agent-reviewer (with valid session and CSRF token, so writes reach the
views). Checked on every answer: no 5xx (`not_a_server_error`), a 2xx body matches the schema
(`response_schema_conformance`), and every 4xx is our JSON error {code, detail}. Bounded so that it runs in
a couple of minutes on two CPUs: a few derandomised examples per operation, in-process through Django's
WSGI app."""
import collections
import os

import pytest
import schemathesis
from django.conf import settings
from django.test import Client
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from accounts.models import User
from tests.factories import ResidentFactory, staff_at

CSRF = "s" * 32
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))  # per operation, each sent as three identities
CHECKS = [not_a_server_error, response_schema_conformance]


def session_for(user) -> dict:
    if user is None:
        return {}
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


class Identities(dict):
    """Anonymous, a resident, and an agent + reviewer of a station: name -> cookies with a matching CSRF token.
    Fresh sessions after any auth operation (a fuzzed logout would leave the rest of the run anonymous)."""

    def __init__(self, users: dict):
        super().__init__()
        self.users = users
        self.refresh()

    def refresh(self):
        for name, user in self.users.items():
            self[name] = {**session_for(user), settings.CSRF_COOKIE_NAME: CSRF}


@pytest.fixture
def identities(db, org) -> Identities:
    from stations.models import Unit

    agent = staff_at(Unit.objects.get(code="371702001"), role=User.Role.AGENT, is_agent=True, is_reviewer=True)
    return Identities({"anonymous": None, "resident": ResidentFactory(), "staff": agent})


def test_no_operation_answers_500_and_answers_match_the_schema(identities, settings, tmp_path):
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


def error_body_problem(response) -> str | None:
    """A 4xx from the API must be our JSON error, whatever input caused it."""
    if not 400 <= response.status_code < 500:
        return None
    content_type = next((values[0] for name, values in response.headers.items() if name.lower() == "content-type"), "")
    if not content_type.startswith("application/json"):
        return f"{response.status_code} as {content_type!r}, not JSON"
    body = response.json()
    if not (isinstance(body, dict) and body.get("code") and body.get("detail")):
        return f"{response.status_code} without code/detail: {response.text[:200]}"
    return None


def _fuzz(identities):
    from django.core.wsgi import get_wsgi_application

    schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    failures, statuses, operations = [], collections.Counter(), 0
    by_identity = collections.defaultdict(collections.Counter)
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def run(case):
            for name, cookies in identities.items():
                # identity: the test transport hands over the body as sent, and real clients unzip it themselves
                headers = {"X-CSRFToken": CSRF, "Idempotency-Key": "fuzz-key", "Accept-Encoding": "identity"}
                response = case.call(headers=headers, cookies=cookies)
                if case.path.startswith("/api/v1/auth/"):  # a logout ends the session: sign in again
                    identities.refresh()
                statuses[response.status_code] += 1
                by_identity[name][response.status_code] += 1
                problem = error_body_problem(response)
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except (AssertionError, BaseExceptionGroup) as failure:  # schemathesis' FailureGroup
                    found = failure.exceptions if isinstance(failure, BaseExceptionGroup) else [failure]
                    titles = "; ".join(f"{getattr(f, 'title', type(f).__name__)}: {getattr(f, 'message', f)}"
                                       for f in found)
                    problem = f"{problem or ''} {titles}".strip()
                if problem:
                    failures.append(f"{name}: {case.method} {case.formatted_path} -> {response.status_code}: "
                                    f"{problem[:400]}\n{case.as_curl_command()}")

        run()
    print(f"schemathesis: {operations} operations, {sum(statuses.values())} requests, statuses {dict(statuses)}, "
          f"by identity { {name: dict(counts) for name, counts in by_identity.items()} }")
    assert operations >= 30 and sum(statuses.values()) >= operations * 3
    # The sessions held: signed-in identities reached past authentication on most operations.
    for name in ("resident", "staff"):
        assert by_identity[name][200] + by_identity[name][201] >= 10, (name, dict(by_identity[name]))
    assert not failures, f"{len(failures)} failures:\n\n" + "\n\n".join(failures[:15])
