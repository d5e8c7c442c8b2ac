"""The bureau's statistics: per item, unit and county, computed by aggregate queries."""
import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from reviews.models import Case, CaseStatus, Escalation
from tests.factories import StaffFactory, client_for
from tests.support.places import STATION, TOWNSHIP_ITEM, WORKSTATION, item, unit
from tests.support.reviews import COUNTY_ITEM, agent_at

pytestmark = pytest.mark.django_db


def _case(resident, agent, item_code, unit_code, *, days, on_time, materials, status=CaseStatus.APPROVED):
    now = timezone.now()
    return Case.objects.create(
        item=item(item_code), resident=resident, opened_unit=unit(STATION), opened_by=agent,
        county=resident.home_county, township=resident.home_township, status=status, unit=unit(unit_code),
        submitted_at=now - datetime.timedelta(days=days or 0), decided_at=now if days is not None else None,
        processing_days=days, met_deadline=on_time, materials_count=materials,
        sla_started_at=now, due_at=now, promised_due_at=now,
        consent_at=now, consent_via="resident")  # a walk-in case leaves the draft only with her consent


def test_statistics_per_item_unit_and_county(resident):
    agent = agent_at(STATION)
    first = _case(resident, agent, TOWNSHIP_ITEM, STATION, days=1.0, on_time=True, materials=1)
    _case(resident, agent, TOWNSHIP_ITEM, STATION, days=2.0, on_time=False, materials=2)
    _case(resident, agent, TOWNSHIP_ITEM, STATION, days=3.0, on_time=False, materials=3)
    _case(resident, agent, COUNTY_ITEM, WORKSTATION, days=4.0, on_time=True, materials=3)
    _case(resident, agent, COUNTY_ITEM, WORKSTATION, days=None, on_time=None, materials=3, status=CaseStatus.ASSIGNED)
    Escalation.objects.create(case=first, level=1, from_unit=unit(STATION), to_unit=unit(WORKSTATION),
                              from_tier="township", to_tier="county", overdue_since=timezone.now())
    admin = StaffFactory(role=User.Role.ADMINISTRATOR)
    response = client_for(admin).get("/api/v1/stats/")
    assert response.status_code == 200
    body = response.json()

    by_item = {row["code"]: row for row in body["by_item"]}
    township = by_item[TOWNSHIP_ITEM]
    assert (township["cases"], township["decided"]) == (3, 3)
    assert township["median_days"] == 2.0 and township["p90_days"] == 2.8
    assert township["limit_days"] == 1.0 and township["median_vs_limit"] == 2.0
    assert township["sla_compliance_pct"] == 33.33
    assert township["escalations"] == 1 and township["materials_per_case"] == 2.0
    county = by_item[COUNTY_ITEM]
    assert (county["cases"], county["decided"], county["median_days"], county["sla_compliance_pct"]) == (
        2, 1, 4.0, 100.0)
    assert county["escalations"] == 0

    by_unit = {row["code"]: row for row in body["by_unit"]}
    assert by_unit[STATION]["cases"] == 3 and by_unit[WORKSTATION]["cases"] == 2
    by_county = body["by_county"]
    assert [(row["code"], row["cases"], row["decided"], row["escalations"]) for row in by_county] == [
        (resident.home_county.code, 5, 4, 1)]
    assert by_county[0]["median_days"] == 2.5

    assert client_for(agent).get("/api/v1/stats/").status_code == 403
    assert client_for(resident).get("/api/v1/stats/").status_code == 403


@pytest.mark.parametrize(("query", "field", "zh", "en"), [
    ({"date_from": "2026-02-30"}, "date_from", "日期格式应为 YYYY-MM-DD。", "Dates must be in the format YYYY-MM-DD."),
    ({"date_to": "03/01/2026"}, "date_to", "日期格式应为 YYYY-MM-DD。", "Dates must be in the format YYYY-MM-DD."),
    ({"date_from": "2026-03-05", "date_to": "2026-03-04"}, "date_to", "结束日期不能早于开始日期。",
     "The end date cannot be earlier than the start date."),
])
def test_statistics_refuse_a_bad_date_or_a_reversed_period_in_both_languages(org, query, field, zh, en):
    admin = client_for(StaffFactory(role=User.Role.ADMINISTRATOR))
    chinese = admin.get("/api/v1/stats/", query)
    english = admin.get("/api/v1/stats/", query, HTTP_ACCEPT_LANGUAGE="en")
    for response, text in ((chinese, zh), (english, en)):
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid" and body["detail"] == f"{field}: {text}"
        assert body["fields"] == {field: [text]}


def test_statistics_take_a_period_with_open_or_blank_ends(resident):
    agent = agent_at(STATION)
    _case(resident, agent, TOWNSHIP_ITEM, STATION, days=1.0, on_time=True, materials=1)
    admin = client_for(StaffFactory(role=User.Role.ADMINISTRATOR))
    today = timezone.localdate()

    def cases(query):
        response = admin.get("/api/v1/stats/", query)
        assert response.status_code == 200, response.json()
        return sum(row["cases"] for row in response.json()["by_item"])

    assert cases({"date_from": (today - datetime.timedelta(days=3)).isoformat(), "date_to": today.isoformat()}) == 1
    assert cases({"date_from": (today + datetime.timedelta(days=1)).isoformat()}) == 0
    assert cases({"date_from": "", "date_to": ""}) == 1
    assert cases({"date_to": (today - datetime.timedelta(days=3)).isoformat()}) == 0
