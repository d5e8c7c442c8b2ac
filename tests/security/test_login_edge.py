"""Issue 21 §6 (HTTP): a cross-site form cannot log anyone in, and the staff login does not tell a right
password from a wrong one; residents hold no usable password."""
import pytest
from django.conf import settings
from django.test import Client

from accounts.demo import demo_data_create
from accounts.models import User
from tests.factories import ResidentFactory, staff_at
from tests.support.places import STATION, unit

LOGINS = ["/api/v1/auth/login", "/api/v1/auth/otp/request", "/api/v1/auth/otp/verify"]


@pytest.mark.django_db
@pytest.mark.parametrize("url", LOGINS)
@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                                          "text/plain"])
def test_a_cross_site_form_post_to_a_login_is_refused_and_sets_no_session(org, url, content_type, sms_outbox):
    """What a page on another site can send without a CORS preflight: a form or text/plain. No CSRF token."""
    staff_at(unit(STATION), role=User.Role.AGENT, is_agent=True)  # username staffN, password correct-horse-9
    browser = Client(enforce_csrf_checks=True)
    body = {"application/x-www-form-urlencoded": "username=staff0&password=correct-horse-9&phone=13900000001",
            "text/plain": '{"phone": "13900000001"}'}.get(content_type, "--x--\r\n")
    response = browser.post(url, body, content_type=content_type, HTTP_ORIGIN="https://evil.example",
                            HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code in (403, 415), response.content
    assert response.json()["code"], response.content
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not sms_outbox


@pytest.mark.django_db
def test_the_staff_login_still_takes_json(org):
    staff = staff_at(unit(STATION), role=User.Role.AGENT, is_agent=True)
    response = Client().post("/api/v1/auth/login", {"username": staff.username, "password": "correct-horse-9"},
                             content_type="application/json")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME in response.cookies


@pytest.mark.django_db
def test_a_residents_right_password_answers_like_a_wrong_one(org):
    resident = ResidentFactory()
    resident.set_password("known-to-the-attacker-1")
    resident.save()
    answers = []
    for password in ("known-to-the-attacker-1", "a-wrong-guess-2"):
        response = Client().post("/api/v1/auth/login", {"username": resident.username, "password": password},
                                 content_type="application/json")
        answers.append((response.status_code, response.json()))
        assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert answers[0] == answers[1]
    assert answers[0][0] == 401 and answers[0][1]["code"] == "bad_credentials"


@pytest.mark.django_db
def test_demo_residents_have_no_usable_password(org):
    demo_data_create(password="demo-password-123")
    residents = User.objects.filter(role=User.Role.RESIDENT)
    assert residents.count() >= 5
    assert not any(resident.has_usable_password() for resident in residents)
    assert User.objects.get(username="admin").check_password("demo-password-123")
