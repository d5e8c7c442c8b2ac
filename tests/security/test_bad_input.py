"""Bad input is refused at the edge (core/edge.py, core/errors.py): NUL bytes, lone surrogates, deep
nesting, wrong JSON types, oversized and malformed bodies each answer a JSON {code, detail} 4xx, never a 500,
on every endpoint and for every identity. The samples are the ones issue 21 §4 found."""
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.factories import client_for, staff_at
from tests.support.places import STATION, unit

NUL_QUERIES = [
    "/api/v1/divisions/?parent=%00", "/api/v1/divisions/?level=%00",
    "/api/v1/catalog/items/?approval_level=%00", "/api/v1/catalog/items/?category=%00",
    "/api/v1/units/?county=%00", "/api/v1/signing/verify/?code=%00",
    "/api/v1/bookings/?status=%00", "/api/v1/cases/?status=%00", "/api/v1/reviews/queue/?status=%00",
    "/api/v1/units/?kind=a%00b", "/api/v1/divisions/?%00=1",
]


def nested(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value


def assert_json_4xx(response, status=400):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert body["code"] and body["detail"], body
    return body


@pytest.fixture
def agent_api(org):
    from accounts.models import User

    return client_for(staff_at(unit(STATION), role=User.Role.AGENT, is_agent=True, is_reviewer=True))


@pytest.mark.django_db
@pytest.mark.parametrize("url", NUL_QUERIES)
def test_nul_in_a_query_parameter_is_a_json_400(agent_api, url):
    assert_json_4xx(agent_api.get(url))


@pytest.mark.django_db
def test_nul_in_a_query_parameter_is_refused_to_anonymous_visitors_too(org):
    assert_json_4xx(APIClient().get("/api/v1/units/?county=%00"))


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["AB\u0000CD", "a\ud800b", "\udfff"])
def test_nul_or_lone_surrogate_in_a_json_body_is_a_json_400(org, text):
    body = json.dumps({"code": text})  # ensure_ascii: the surrogate travels as the escape \ud800
    response = APIClient().post("/api/v1/signing/verify/", body, content_type="application/json")
    assert_json_4xx(response)


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["home_township", "real_name", "id_number"])
def test_nul_in_the_profile_is_a_json_400_and_changes_nothing(resident, resident_api, field):
    before = (resident.real_name, resident.id_number, resident.home_township_id)
    assert_json_4xx(resident_api.patch("/api/v1/me", {field: "\u0000"}, format="json"))
    resident.refresh_from_db()
    assert (resident.real_name, resident.id_number, resident.home_township_id) == before


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["\u0000", "x\ud800", {"k\u0000": 1}, [["\ud800"]]])
def test_nul_or_surrogate_in_case_form_data_is_a_json_400(world, value):
    agent = client_for(world.agent)
    body = json.dumps({"form_data": {"destination": value}})  # the surrogate travels escaped, as JSON allows
    response = agent.patch(f"/api/v1/cases/{world.draft_case.pk}/", body, content_type="application/json")
    assert_json_4xx(response)
    world.draft_case.refresh_from_db()
    assert "\u0000" not in json.dumps(world.draft_case.form_data)


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["[" * 2000 + "]" * 2000, '{"a":' * 5000 + "1" + "}" * 5000,
                                  "[" * 100_000, json.dumps({"phone": nested(40)})])

def test_deeply_nested_json_is_a_json_400(org, body):
    for url in ("/api/v1/auth/login", "/api/v1/auth/otp/request", "/api/v1/auth/otp/verify"):
        assert_json_4xx(APIClient().post(url, body, content_type="application/json"))


@pytest.mark.django_db
@pytest.mark.parametrize("digit", ["²", "٣", "３", "𝟑", "Ⅲ"])
def test_an_invalid_id_number_with_unusual_digits_is_a_json_400_not_a_500(resident, resident_api, digit):
    before = resident.id_number
    from accounts.validators import id_check_char, normalize_id_number

    first17 = "37170219600101" + digit * 3
    normalised = normalize_id_number(first17)
    wrong = "1" if normalised.isascii() and normalised.isdigit() and id_check_char(normalised) == "0" else "0"
    response = resident_api.patch("/api/v1/me", {"id_number": first17 + wrong}, format="json")
    assert_json_4xx(response)
    resident.refresh_from_db()
    assert resident.id_number == before


@pytest.mark.django_db
@pytest.mark.parametrize("code", [["a", "b"], {"a": 1}, 7, True, None])
def test_a_verification_code_of_the_wrong_type_is_a_json_400(org, code):
    response = APIClient().post("/api/v1/signing/verify/", {"code": code}, format="json")
    assert response.status_code in (400, 404), response.content
    assert response.json()["code"]


@pytest.mark.django_db
def test_a_ten_megabyte_body_is_a_json_413(org):
    body = json.dumps({"phone": "1" * (10 * 1024 * 1024)})
    for url in ("/api/v1/auth/otp/request", "/api/v1/signing/verify/"):
        assert_json_4xx(APIClient().post(url, body, content_type="application/json"), status=413)
    form = Client().post("/api/v1/auth/login", "a=" + "b" * (10 * 1024 * 1024),
                         content_type="application/x-www-form-urlencoded")
    assert form.status_code in (413, 415), form.status_code
    assert form["Content-Type"].startswith("application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=",
                                          "multipart/form-data; boundary=\u00ff"])
def test_multipart_without_a_usable_boundary_is_a_json_400(world, content_type):
    owner = client_for(world.resident)
    response = owner.generic("POST", f"/api/v1/bookings/{world.booking.pk}/materials/", b"--x\r\n\r\n",
                             content_type=content_type)
    assert_json_4xx(response)
    anonymous = APIClient().generic("POST", "/api/v1/signing/verify/", b"--x\r\n\r\n", content_type=content_type)
    assert_json_4xx(anonymous)


@pytest.mark.django_db
def test_nul_in_a_form_or_multipart_field_is_a_json_400(org):
    assert_json_4xx(APIClient().post("/api/v1/signing/verify/", {"code": "ab\u0000"}, format="multipart"))
    form = Client().post("/api/v1/signing/verify/", "code=ab%00", content_type="application/x-www-form-urlencoded")
    assert_json_4xx(form)


@pytest.mark.django_db
def test_malformed_json_is_a_json_400(org):
    for body in ("{", "\xff", '{"phone": NaN}', '{"a": 1e999999}', "\ufeff{}"):
        response = APIClient().post("/api/v1/auth/otp/request", body.encode("latin-1", "ignore") or b"{",
                                    content_type="application/json")
        assert 400 <= response.status_code < 500, (body, response.status_code)
        assert response.json()["code"]


@pytest.mark.django_db
def test_nul_in_the_path_is_not_a_500(org):
    response = APIClient().get("/api/v1/units/%00/")
    assert 400 <= response.status_code < 500
    assert response.json()["code"]


@pytest.mark.django_db
def test_nul_in_a_header_that_reaches_the_database_is_a_json_400(org, resident_api):
    response = resident_api.post("/api/v1/bookings/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k\x00")
    assert_json_4xx(response)
    login = APIClient().post("/api/v1/auth/login", {"username": "nobody", "password": "x"}, format="json",
                             HTTP_USER_AGENT="agent\x00")
    assert_json_4xx(login)


def schema_operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(method.upper(), path, operation) for path, operations in schema["paths"].items()
            for method, operation in operations.items()]


def request_body_fields(schema: dict, operation: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    body = content.get("application/json") or content.get("multipart/form-data") or {}
    reference = body.get("schema", {}).get("$ref", "")
    component = schema["components"]["schemas"].get(reference.rsplit("/", 1)[-1], {}) if reference else {}
    return list(component.get("properties", {}))


@pytest.mark.django_db
def test_every_query_parameter_and_body_field_of_the_schema_refuses_bad_text(agent_api):
    """Wider than the samples: every query parameter of every operation, and every field of every JSON body,
    for a signed-in agent-reviewer (past the permission checks where an agent may go)."""
    schema = agent_api.get("/api/schema/", {"format": "json"}).json()
    tried, problems = 0, []
    for method, path, operation in schema_operations(schema):
        url = path.format(**{p["name"]: 1 for p in operation.get("parameters", []) if p["in"] == "path"})
        for parameter in (p for p in operation.get("parameters", []) if p["in"] == "query"):
            response = agent_api.generic(method, f"{url}?{parameter['name']}=%00")
            tried += 1
            if response.status_code != 400 or response.json().get("code") != "bad_input":
                problems.append(f"{method} {url}?{parameter['name']}=%00 -> {response.status_code}")
            for digits in ("²", "٣", "３", "1e999", "-1", "9" * 30):  # int()-style traps
                response = agent_api.generic(method, f"{url}?{parameter['name']}={digits}")
                tried += 1
                if response.status_code >= 500:
                    problems.append(f"{method} {url}?{parameter['name']}={digits} -> {response.status_code}")
        for field in request_body_fields(schema, operation):
            for text in ("a\\u0000b", "a\\ud800b"):
                body = f'{{"{field}": "{text}"}}'
                response = agent_api.generic(method, url, body, content_type="application/json")
                tried += 1
                if not 400 <= response.status_code < 500 or not response.json().get("code"):
                    problems.append(f"{method} {url} {field}={text} -> {response.status_code}")
    assert tried > 100
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_refusal_speaks_the_requests_language(org):
    chinese = APIClient().get("/api/v1/units/?county=%00")
    english = APIClient().get("/api/v1/units/?county=%00", HTTP_ACCEPT_LANGUAGE="en")
    assert "空字符" in chinese.json()["detail"]
    assert english.json()["detail"] == "The input contains a forbidden null character (NUL)."
    too_large = APIClient().post("/api/v1/auth/otp/request", "[" + "1," * 2_000_000 + "1]",
                                 content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert too_large.status_code == 413 and too_large.json()["detail"] == "The request body is too large."


@pytest.mark.django_db
def test_a_slot_query_with_a_superscript_digit_is_a_json_400(org):
    station = unit(STATION)
    assert_json_4xx(APIClient().get(f"/api/v1/units/{station.pk}/slots/?item=²"))
    for item in ("٣", "３"):  # other scripts' decimal digits are numbers to int() and to DRF: read, not a 500
        assert APIClient().get(f"/api/v1/units/{station.pk}/slots/?item={item}").status_code in (200, 400)


@pytest.mark.django_db
def test_ids_beyond_the_databases_integers_are_a_json_4xx(resident_api):
    huge = "9" * 30
    for url in (f"/api/v1/bookings/?unit={huge}", f"/api/v1/bookings/{huge}/", f"/api/v1/cases/{huge}/",
                f"/api/v1/units/{huge}/"):
        response = resident_api.get(url)
        assert response.status_code in (400, 403, 404), (url, response.status_code)
        assert response.json()["code"]
