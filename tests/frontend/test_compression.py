"""Text compression (pages too, with Django's BREACH defences), browser caching of the directory, and the booking
page's own data."""
import gzip
import json
import re

import pytest

from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip"}


def test_json_answers_are_compressed(client, org):
    response = client.get("/api/v1/catalog/items/", **GZIP)
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.content))


def _page(client, path: str):
    response = client.get(path, **GZIP)
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip", path
    assert "Accept-Encoding" in response["Vary"], path
    return gzip.decompress(response.content).decode()


def _token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


def test_pages_arrive_compressed(client, org, resident):
    for path in ("/", "/login/", "/verify/"):
        assert "csrfmiddlewaretoken" in _page(client, path), path
    client.force_login(resident)
    for path in ("/", "/me/bookings/", "/me/profile/"):
        assert "csrfmiddlewaretoken" in _page(client, path), path


def test_the_token_in_a_compressed_page_still_passes_the_csrf_check(org):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    token = _token(_page(client, "/login/"))
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 403  # without it
    answer = client.post("/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and client.cookies["django_language"].value == "en"


def test_the_breach_defences_hold_for_compressed_pages(client, org):
    """Django's own: the page's token is masked afresh for every answer (one secret, a new spelling each time)
    and GZipMiddleware pads every compressed answer with random bytes, so equal pages differ in length."""
    tokens = {_token(_page(client, "/login/")) for _ in range(5)}
    assert len(tokens) == 5
    lengths = {len(client.get("/api/v1/catalog/items/", **GZIP).content) for _ in range(8)}
    assert len(lengths) > 1


def test_pictures_and_documents_are_not_compressed_again(rf):
    from django.http import HttpResponse

    from config.compression import TextGZipMiddleware

    picture = HttpResponse(b"\x89PNG" + b"0" * 4000, content_type="image/png")
    request = rf.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert not TextGZipMiddleware(lambda r: picture)(request).has_header("Content-Encoding")


def test_the_directory_and_catalog_are_cached_and_answer_304(client, org):
    response = client.get("/api/v1/units/?kind=county_workstation")
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=600", "stale-while-revalidate=604800"} <= cache_control and response["ETag"]
    again = client.get("/api/v1/units/?kind=county_workstation", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert "max-age" in client.get("/api/v1/catalog/categories/")["Cache-Control"]


def test_slots_and_bookings_are_not_cached(client, org):
    from stations.models import Unit

    unit = Unit.objects.get(code="371702001")
    response = client.get(f"/api/v1/units/{unit.pk}/slots/?item=1")
    assert "max-age=600" not in response.get("Cache-Control", "")


def test_the_booking_page_brings_the_residents_township_and_its_stations(client, org):
    from bookings.models import ServiceItem
    from stations.models import Division, Unit

    township = Division.objects.get(code="371702001")
    resident = ResidentFactory(home_county=township.parent, home_township=township)
    client.force_login(resident)
    item = ServiceItem.objects.filter(active=True).first()
    html = client.get(f"/book/{item.pk}/").content.decode()
    start = json.loads(re.search(r'<script id="booking-start" type="application/json">(.*?)</script>', html, re.S)[1])
    assert start["county"] == "371702" and start["township"] == "371702001"
    assert {row["code"] for row in start["townships"]} == set(
        Division.objects.filter(parent=township.parent).values_list("code", flat=True))
    stations = set(Unit.objects.filter(township=township, kind="township_station", active=True)
                   .values_list("pk", flat=True))
    assert stations and stations <= {row["id"] for row in start["units"]}
    assert {row["kind"] for row in start["units"]} == {"township_station", "county_workstation"}
    assert re.search(r'<option value="371702001" selected>', html)


def test_a_resident_without_a_home_county_gets_the_plain_page(client, org):
    from bookings.models import ServiceItem

    client.force_login(ResidentFactory(home_county=None, home_township=None))
    item = ServiceItem.objects.filter(active=True).first()
    html = client.get(f"/book/{item.pk}/").content.decode()
    assert 'id="booking-start"' not in html and '<select id="township" disabled>' in html
