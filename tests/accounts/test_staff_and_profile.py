import pytest

from stations.models import Unit
from tests.factories import staff_at

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


def test_staff_login_and_lockout(api, org):
    staff = staff_at(Unit.objects.get(code="371702000"), is_agent=True)
    for _ in range(5):
        response = api.post(LOGIN, {"username": staff.username, "password": "wrong"}, format="json")
        assert response.status_code in (401, 429)
    locked = api.post(LOGIN, {"username": staff.username, "password": "correct-horse-9"}, format="json")
    assert locked.status_code == 429 and locked.json()["code"] == "locked_out"


def test_staff_login_succeeds_with_right_password(api, org):
    staff = staff_at(Unit.objects.get(code="371702000"), is_agent=True)
    response = api.post(LOGIN, {"username": staff.username, "password": "correct-horse-9"}, format="json")
    assert response.status_code == 200
    assert response.json()["memberships"][0]["unit_name"] == "牡丹区医疗保障工作站"


def test_profile_shows_id_masked_and_validates(resident_api, resident):
    me = resident_api.get("/api/v1/me").json()
    assert me["id_number"] == resident.masked_id_number
    assert resident.id_number not in str(me)
    bad = resident_api.patch("/api/v1/me", {"id_number": "110105194912310021"}, format="json")
    assert bad.status_code == 400 and "校验位" in bad.json()["detail"]
    ok = resident_api.patch("/api/v1/me", {"home_township": "371721001"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["home_county"] == "371721"


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/auth/logout"])
def test_anonymous_requests_to_private_endpoints_are_refused(api, path):
    response = api.get(path) if path.endswith("me") else api.post(path)
    assert response.status_code in (401, 403)
    assert set(response.json()) == {"code", "detail"}
