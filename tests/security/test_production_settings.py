"""The production profile's settings: `check --deploy` is clean, weak secrets stop start-up, protected
media leaves through nginx (X-Accel-Redirect), every page carries the security headers and passes its CSP."""
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / "deploy" / "production.env.example"


def production_env(**overrides) -> dict:
    """The shipped deploy/production.env.example with its CHANGE-ME secrets filled in."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "DJANGO_"))}
    for line in ENV_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = secrets.token_urlsafe(50) if "CHANGE-ME" in value and key != "DATABASE_URL" else value
    env["DATABASE_URL"] = "postgres://vc:not-used@127.0.0.1:5432/vc_not_connected"
    env["VAR_DIR"] = env["MEDIA_ROOT"] = str(ROOT / "var" / "check-deploy")
    env.update(overrides)
    return env


def run_manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_with_the_shipped_production_env():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_debug_production():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env(DEBUG="true"))
    assert result.returncode != 0
    assert "security.W018" in result.stderr


@pytest.mark.parametrize("key", ["", "short-key", "django-insecure-" + "a1b2c3" * 10, "x" * 60])
def test_production_refuses_to_start_with_a_weak_secret_key(key):
    result = run_manage("check", env=production_env(SECRET_KEY=key))
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_embedded_profile_still_starts_without_a_secret_key():
    env = {key: value for key, value in os.environ.items()
           if key not in {"SECRET_KEY", "BEHIND_TLS_PROXY", "SECURE_COOKIES", "REQUIRE_SECRET_KEY"}
           and not key.startswith("PYTEST")}
    result = run_manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_production_settings_in_force():
    code = ("import django; django.setup(); from django.conf import settings as s; "
            "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
            "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_PROXY_SSL_HEADER, "
            "s.CELERY_TASK_ACKS_LATE, s.CELERY_TASK_REJECT_ON_WORKER_LOST, s.SESSION_COOKIE_HTTPONLY)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            env={**production_env(), "DJANGO_SETTINGS_MODULE": "config.settings"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "31536000", "True", "('HTTP_X_FORWARDED_PROTO',",
                                     "'https')", "True", "True", "True"]


@pytest.mark.django_db
def test_material_download_leaves_as_x_accel_redirect_behind_nginx(settings, tmp_path, org):
    from rest_framework.test import APIClient

    from tests.factories import ResidentFactory
    from tests.support.security import PNG, booking_at, material_for

    settings.MEDIA_ROOT = tmp_path
    resident = ResidentFactory()
    material = material_for(booking_at(resident=resident, item_code="C01-01"))
    booking = material.booking

    client = APIClient()
    client.force_authenticate(resident)
    url = f"/api/v1/bookings/{booking.pk}/materials/{material.pk}/file"
    streamed = client.get(url)
    assert streamed.status_code == 200 and b"".join(streamed.streaming_content) == PNG
    with override_settings(MEDIA_ACCEL_REDIRECT_PREFIX="/protected-media/"):
        response = client.get(url)
    assert response.status_code == 200
    relative = Path(material.file.path).relative_to(tmp_path).as_posix()
    assert response["X-Accel-Redirect"] == "/protected-media/" + relative
    assert response.content == b""
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    # A stranger gets no redirect, hence no file from nginx either.
    other = APIClient()
    other.force_authenticate(ResidentFactory())
    with override_settings(MEDIA_ACCEL_REDIRECT_PREFIX="/protected-media/"):
        refused = other.get(url)
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused


PAGES = ["/", "/login/", "/verify/"]
# Data blocks (type="application/json") are not run by the browser, so CSP leaves them alone.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>\s*\S", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[^>]+\sstyle\s*=", re.I)
OUTSIDE_URL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost)""", re.I)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_pages_carry_security_headers_and_pass_their_csp(client, org, path):
    response = client.get(path, follow=True)
    assert response.status_code == 200, path
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    html = response.content.decode()
    # What the CSP would block in a browser: inline scripts, inline handlers and styles, outside hosts.
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html).group(0)
    assert not OUTSIDE_URL.search(html), OUTSIDE_URL.search(html).group(0)


@pytest.mark.django_db
def test_metrics_are_exported(client):
    client.get("/healthz")
    body = client.get("/metrics").content.decode()
    assert "django_http_requests_total_by_method_total" in body
    assert "vc_call_sockets_open" in body and "vc_cases_overdue" in body


@pytest.mark.django_db
def test_sla_breaches_are_counted_in_the_metrics(client, world):
    import datetime

    from django.utils import timezone

    from reviews.models import Case

    def overdue() -> float:
        line = next(line for line in client.get("/metrics").content.decode().splitlines()
                    if line.startswith("vc_cases_overdue "))
        return float(line.split()[1])

    before = overdue()
    Case.objects.filter(pk=world.case.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    assert overdue() == before + 1
