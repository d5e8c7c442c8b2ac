import pytest
from django.core.management import call_command

from bookings.models import Category, MaterialRequirement, ServiceItem
from stations.models import Division, OpeningHours, Unit

pytestmark = pytest.mark.django_db


def test_the_whole_organisation_is_loaded(org):
    assert Unit.objects.filter(kind=Unit.Kind.TOWNSHIP_STATION).count() == 227
    assert Unit.objects.filter(kind=Unit.Kind.TOWNSHIP_STATION, is_demo=False).count() == 167
    assert Unit.objects.filter(kind=Unit.Kind.COUNTY_WORKSTATION).count() == 11
    assert Unit.objects.filter(kind=Unit.Kind.CITY_CENTRE).count() == 1
    assert Division.objects.filter(level="county").count() == 11
    assert Division.objects.filter(level="township").count() == 167
    every_township_served = Division.objects.filter(level="township", township_units__isnull=True)
    assert not every_township_served.exists()
    assert Unit.objects.get(code="371702001").name == "东城街道医疗保障服务站"
    assert OpeningHours.objects.filter(unit__code="371702001").count() == 10


def test_catalog_has_17_categories_and_37_items(org):
    assert Category.objects.count() == 17
    assert ServiceItem.objects.count() == 37
    assert set(ServiceItem.objects.values_list("approval_level", flat=True)) == {"township", "county", "city"}
    assert not Category.objects.filter(owner_department__isnull=True).exists()


def test_loading_twice_changes_nothing(org, capsys):
    before = (Unit.objects.count(), ServiceItem.objects.count(), MaterialRequirement.objects.count(),
              OpeningHours.objects.count())
    call_command("load_organisation")
    call_command("load_catalog")
    out = capsys.readouterr().out
    assert "created 0, updated 0" in out.split("holidays")[0]
    assert "catalog: created 0, updated 0" in out
    after = (Unit.objects.count(), ServiceItem.objects.count(), MaterialRequirement.objects.count(),
             OpeningHours.objects.count())
    assert before == after


def test_loading_repairs_an_edited_row(org, capsys):
    Unit.objects.filter(code="371702001").update(name="wrong")
    call_command("load_organisation")
    assert "updated 1" in capsys.readouterr().out
    assert Unit.objects.get(code="371702001").name == "东城街道医疗保障服务站"


def test_directory_filters_and_nearest_first(api, org):
    all_units = api.get("/api/v1/units/").json()
    assert all_units["count"] == 1 + 5 + 11 + 227
    stations = api.get("/api/v1/units/", {"kind": "township_station", "county": "371721"}).json()
    assert stations["count"] > 0
    assert {u["county"] for u in stations["results"]} == {"371721"}
    target = Unit.objects.get(code="371722001")
    near = api.get("/api/v1/units/", {"near": f"{target.latitude},{target.longitude}",
                                      "kind": "township_station"}).json()
    assert near["results"][0]["code"] == "371722001"
    distances = [u["distance_km"] for u in near["results"]]
    assert distances == sorted(distances)


def test_directory_bad_filters_are_clear_errors(api, org):
    assert api.get("/api/v1/units/", {"near": "abc"}).json()["code"] == "invalid"
    response = api.get("/api/v1/units/", {"kind": "castle"})
    assert response.status_code == 400 and "castle" in response.json()["detail"]


def test_catalog_api(api, org):
    categories = api.get("/api/v1/catalog/categories/").json()
    assert len(categories) == 17
    assert sum(len(c["items"]) for c in categories) == 37
    items = api.get("/api/v1/catalog/items/", {"category": "C07"}).json()
    assert items and all(i["category"] == "C07" for i in items)
    assert any(m["mandatory"] for i in items for m in i["materials"])


@pytest.mark.parametrize(("query", "field", "zh", "en"), [
    ({"kind": "hospital"}, "kind", "未知的机构类型：hospital", "Unknown unit type: hospital"),
    ({"near": "abc"}, "near", "near 参数格式应为 纬度,经度，例如 35.23,115.47。",
     "The near parameter must be in the format latitude,longitude, e.g. 35.23,115.47."),
    ({"near": "95,115"}, "near", "经纬度超出范围。", "Latitude or longitude out of range."),
])
def test_directory_refuses_an_unknown_kind_or_a_bad_position_in_both_languages(api, org, query, field, zh, en):
    chinese = api.get("/api/v1/units/", query)
    assert chinese.status_code == 400
    assert chinese.json()["detail"] == f"{field}: {zh}" and chinese.json()["fields"] == {field: [zh]}
    english = api.get("/api/v1/units/", query, HTTP_ACCEPT_LANGUAGE="en")
    assert english.status_code == 400 and english.json()["code"] == "invalid"
    assert english.json()["detail"] == f"{field}: {en}"


def test_directory_filters_by_kind_and_county_together(api, org):
    rows = api.get("/api/v1/units/", {"kind": "county_workstation", "county": "371702"}).json()
    assert [row["code"] for row in rows["results"]] == ["371702000"]
    assert api.get("/api/v1/units/", {"kind": "", "county": "371702"}).json()["count"] > 1  # a blank kind: all
