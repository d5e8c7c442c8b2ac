"""Text compression without the BREACH hole, browser caching of the directory, and the booking page's own data."""
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


def test_pages_with_a_csrf_token_are_never_compressed(client, org):
    for path in ("/", "/login/", "/verify/"):
        response = client.get(path, **GZIP)
        assert "csrfmiddlewaretoken" in response.content.decode(), path
        assert not response.has_header("Content-Encoding"), path


def test_the_directory_and_catalog_are_cached_and_answer_304(client, org):
    response = client.get("/api/v1/units/?kind=county_workstation")
    assert "max-age=600" in response["Cache-Control"] and response["ETag"]
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
