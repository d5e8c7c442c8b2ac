"""Cases through the API: opening, the form, submitting with materials, routing, claim, decisions, visibility."""
import pytest
from django.utils import timezone

from accounts.models import Notification
from reviews.models import Case, CaseEvent, CaseRouting, CaseStatus
from tests.factories import ResidentFactory, client_for
from tests.support.places import OTHER_WORKSTATION, STATION, TOWNSHIP_ITEM, WORKSTATION, unit
from tests.support.reviews import (
    CITY_ITEM,
    COUNTY_ITEM,
    add_material,
    agent_at,
    complete_materials,
    make_booking,
    reviewer_at,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(org):
    return agent_at(STATION)


@pytest.fixture
def submit(django_capture_on_commit_callbacks):
    """POST submit, run what waits for the commit (route_case, eager in these tests); on success return the
    case as read afterwards."""
    def post(client, case_id):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/cases/{case_id}/submit/")
        if response.status_code != 200:
            return response
        assert response.json()["status"] in ("submitted", "resubmitted")
        return client.get(f"/api/v1/cases/{case_id}/")
    return post


def open_case(agent, booking, form_data=None):
    response = client_for(agent).post("/api/v1/cases/", {"booking_id": booking.pk, "form_data": form_data or {}},
                                      format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_submit_refused_while_a_mandatory_material_is_missing_naming_it(agent, resident, submit):
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    case = open_case(agent, booking, {"household_type": "本地户籍"})
    assert [m["code"] for m in case["missing_materials"]] == ["id_card"]
    assert case["checklist"] == [{"code": "id_card", "name": "居民身份证", "mandatory": True}]

    response = submit(client_for(agent), case['id'])
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "missing_materials"
    assert "居民身份证" in body["detail"]
    assert body["missing"] == ["id_card"]
    assert Case.objects.get(pk=case["id"]).status == CaseStatus.DRAFT


def test_form_is_checked_against_the_item_fields(agent, resident, submit):
    booking = make_booking(resident=resident, item_code="C01-02")
    client = client_for(agent)
    bad_choice = client.post("/api/v1/cases/", {"booking_id": booking.pk,
                                                "form_data": {"guardian_relation": "邻居"}}, format="json")
    assert bad_choice.status_code == 400 and "申请人与新生儿关系" in bad_choice.json()["detail"]
    bad_date = client.post("/api/v1/cases/", {"booking_id": booking.pk,
                                              "form_data": {"birth_date": "2026-02-30"}}, format="json")
    assert bad_date.status_code == 400 and "出生日期" in bad_date.json()["detail"]
    unknown = client.post("/api/v1/cases/", {"booking_id": booking.pk, "form_data": {"x": 1}}, format="json")
    assert unknown.status_code == 400
    case = open_case(agent, booking, {"baby_name": "小明"})
    complete_materials(booking)
    missing_required = submit(client, case['id'])
    assert missing_required.status_code == 400 and "出生日期" in missing_required.json()["detail"]
    patched = client.patch(f"/api/v1/cases/{case['id']}/", {"form_data": {
        "birth_date": "2026-11-01", "guardian_relation": "母亲"}}, format="json")
    assert patched.status_code == 200
    assert patched.json()["form_data"] == {"baby_name": "小明", "birth_date": "2026-11-01", "guardian_relation": "母亲"}
    assert submit(client, case['id']).status_code == 200


def test_one_case_per_booking(agent, resident):
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    open_case(agent, booking)
    again = client_for(agent).post("/api/v1/cases/", {"booking_id": booking.pk}, format="json")
    assert again.status_code == 409
    assert Case.objects.filter(booking=booking).count() == 1


def test_agent_of_another_unit_cannot_open_a_case_from_the_booking(resident):
    other_agent = agent_at(WORKSTATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    response = client_for(other_agent).post("/api/v1/cases/", {"booking_id": booking.pk}, format="json")
    assert response.status_code == 404


def test_township_case_routed_to_the_station_then_approved(agent, resident, submit):
    station_reviewer = reviewer_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(booking)
    case = open_case(agent, booking, {"household_type": "本地户籍"})
    submitted = submit(client_for(agent), case['id'])
    assert submitted.status_code == 200
    # Eager Celery: route_case ran on commit of the submit.
    body = submitted.json()
    assert body["status"] == "assigned"
    assert body["unit"]["id"] == unit(STATION).pk
    assert body["assignee"]["id"] == station_reviewer.pk
    assert body["tier"] == "township"
    assert body["due_at"] and body["sla_state"] == "on_time"
    assert CaseRouting.objects.filter(case_id=case["id"]).count() == 1
    assert Notification.objects.filter(user=station_reviewer, kind="case_assigned").count() == 1

    reviewer = client_for(station_reviewer)
    queue = reviewer.get("/api/v1/reviews/queue/").json()
    assert [c["id"] for c in queue["results"]] == [case["id"]]
    detail = reviewer.get(f"/api/v1/cases/{case['id']}/").json()
    assert [m["requirement_code"] for m in detail["materials"]] == ["id_card"]
    approved = reviewer.post(f"/api/v1/cases/{case['id']}/decision/", {"decision": "approve"}, format="json")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["status"] == "approved"
    stored = Case.objects.get(pk=case["id"])
    assert stored.decided_by == station_reviewer and stored.met_deadline is True
    assert stored.processing_days is not None
    timeline = [(e["action"], e["to_status"]) for e in approved.json()["timeline"]]
    assert timeline == [("created", "draft"), ("submitted", "submitted"), ("routed", "assigned"),
                        ("decided", "approved")]
    assert Notification.objects.filter(user=resident, kind="case_status").count() == 1
    # The resident sees the timeline of their own case.
    mine = client_for(resident).get(f"/api/v1/cases/{case['id']}/")
    assert mine.status_code == 200 and mine.json()["timeline"][-1]["to_status"] == "approved"


def test_station_without_seal_sends_township_case_to_the_county(agent, resident, submit):
    reviewer_at(STATION, is_seal_keeper=False)
    county_reviewer = reviewer_at(WORKSTATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(booking)
    case = open_case(agent, booking, {"household_type": "本地户籍"})
    body = submit(client_for(agent), case['id']).json()
    assert (body["unit"]["id"], body["assignee"]["id"], body["tier"]) == (unit(WORKSTATION).pk, county_reviewer.pk,
                                                                          "county")
    assert "无电子印章" in body["timeline"][-1]["comment"]


def test_city_case_goes_to_the_owning_department_queue_and_is_claimed(agent, resident, submit):
    booking = make_booking(resident=resident, item_code=CITY_ITEM)
    complete_materials(booking)
    department = booking.item.category.owner_department
    off_duty = reviewer_at(department.code, on_duty=False)
    other = reviewer_at(department.code, on_duty=False)
    case = open_case(agent, booking, {"disease": "高血压"} if False else None)
    client_for(agent).patch(f"/api/v1/cases/{case['id']}/", {"form_data": _required_answers(booking.item)},
                            format="json")
    body = submit(client_for(agent), case['id']).json()
    assert body["unit"]["id"] == department.pk and body["assignee"] is None and body["tier"] == "city"

    first, second = client_for(off_duty), client_for(other)
    assert [c["id"] for c in first.get("/api/v1/reviews/queue/?scope=unit").json()["results"]] == [case["id"]]
    assert first.post(f"/api/v1/cases/{case['id']}/claim/").json()["status"] == "in_review"
    assert second.post(f"/api/v1/cases/{case['id']}/claim/").status_code == 409
    assert second.post(f"/api/v1/cases/{case['id']}/decision/", {"decision": "approve"},
                       format="json").status_code == 409
    released = first.post(f"/api/v1/cases/{case['id']}/release/")
    assert released.json()["assignee"] is None and released.json()["status"] == "assigned"
    assert second.post(f"/api/v1/cases/{case['id']}/claim/").json()["assignee"]["id"] == other.pk
    rejected = second.post(f"/api/v1/cases/{case['id']}/decision/", {"decision": "reject"}, format="json")
    assert rejected.status_code == 400 and rejected.json()["code"] == "reason_required"
    rejected = second.post(f"/api/v1/cases/{case['id']}/decision/",
                           {"decision": "reject", "reason": "不符合条件"}, format="json")
    assert rejected.json()["status"] == "rejected" and rejected.json()["decision_reason"] == "不符合条件"


def _required_answers(the_item):
    answers = {}
    for field in the_item.form_fields:
        if not field.get("required"):
            continue
        answers[field["name"]] = {"choice": (field.get("choices") or [""])[0], "date": "2026-11-01",
                                  "number": 1}.get(field["type"], "文本")
    return answers


def test_request_more_then_resubmit_goes_back_to_the_same_reviewer(agent, resident, submit):
    county_reviewer = reviewer_at(WORKSTATION)
    reviewer_at(WORKSTATION)  # a second, idle reviewer: the resubmission must still return to the first
    booking = make_booking(resident=resident, item_code=COUNTY_ITEM)
    complete_materials(booking)
    case = open_case(agent, booking, _required_answers(booking.item))
    body = submit(client_for(agent), case['id']).json()
    reviewer = client_for(body["assignee"]["id"] and type(county_reviewer).objects.get(pk=body["assignee"]["id"]))
    codes = list(booking.item.requirements.values_list("code", flat=True))
    unknown = reviewer.post(f"/api/v1/cases/{case['id']}/decision/",
                            {"decision": "request_more", "materials": ["nope"]}, format="json")
    assert unknown.status_code == 400
    asked = reviewer.post(f"/api/v1/cases/{case['id']}/decision/",
                          {"decision": "request_more", "materials": [codes[0]], "reason": "照片不清晰"}, format="json")
    assert asked.json()["status"] == "needs_more_info"
    assert asked.json()["requested_materials"] == [codes[0]]
    first_reviewer = asked.json()["assignee"]["id"]

    resident_client = client_for(resident)
    early = submit(resident_client, case['id'])
    assert early.status_code == 400 and early.json()["missing"] == [codes[0]]
    add_material(booking, codes[0])
    again = submit(resident_client, case['id'])
    assert again.status_code == 200
    case_row = Case.objects.get(pk=case["id"])
    assert case_row.status == CaseStatus.ASSIGNED and case_row.assignee_id == first_reviewer
    assert case_row.submission_round == 2
    assert list(CaseEvent.objects.filter(case=case_row).values_list("to_status", flat=True)) == [
        "draft", "submitted", "assigned", "needs_more_info", "resubmitted", "assigned"]


def test_walk_in_case_with_attached_material(agent, resident, submit):
    reviewer_at(STATION)
    earlier = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    id_card = add_material(earlier, "id_card")
    created = client_for(agent).post("/api/v1/cases/", {
        "resident_phone": resident.phone, "item_id": earlier.item_id,
        "form_data": {"household_type": "本地户籍"}}, format="json")
    assert created.status_code == 201, created.json()
    case_id = created.json()["id"]
    assert created.json()["booking_id"] is None
    assert created.json()["resident"]["name"] != resident.real_name  # masked until she consents
    refused = submit(client_for(agent), case_id)
    assert refused.status_code == 403 and refused.json()["code"] == "consent_required"
    consented = client_for(resident).post(f"/api/v1/cases/{case_id}/consent/")
    assert consented.status_code == 200 and consented.json()["resident"]["name"] == resident.real_name
    assert submit(client_for(agent), case_id).status_code == 400  # consented, but the ID card is missing
    stranger_material = add_material(make_booking(resident=ResidentFactory(), item_code=TOWNSHIP_ITEM), "id_card")
    assert client_for(agent).post(f"/api/v1/cases/{case_id}/materials/", {"material_id": stranger_material.pk},
                                  format="json").status_code == 404
    attached = client_for(agent).post(f"/api/v1/cases/{case_id}/materials/", {"material_id": id_card.pk},
                                      format="json")
    assert attached.status_code == 201
    assert [m["id"] for m in attached.json()["materials"]] == [id_card.pk]
    assert submit(client_for(agent), case_id).json()["status"] == "assigned"


# --- Who sees what ----------------------------------------------------------------------------

@pytest.fixture
def routed_case(agent, resident, submit):
    reviewer_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(booking)
    case = open_case(agent, booking, {"household_type": "本地户籍"})
    submit(client_for(agent), case['id'])
    return Case.objects.get(pk=case["id"])


def test_reviewer_of_another_county_gets_404(routed_case):
    stranger = reviewer_at(OTHER_WORKSTATION)
    client = client_for(stranger)
    assert client.get(f"/api/v1/cases/{routed_case.pk}/").status_code == 404
    assert client.post(f"/api/v1/cases/{routed_case.pk}/claim/").status_code == 404
    assert client.post(f"/api/v1/cases/{routed_case.pk}/decision/", {"decision": "approve"},
                       format="json").status_code == 404
    assert client.get("/api/v1/reviews/queue/").json()["count"] == 0
    assert client.get("/api/v1/cases/").json()["count"] == 0


def test_another_resident_gets_404(routed_case, submit):
    resident_b = client_for(ResidentFactory())
    assert resident_b.get(f"/api/v1/cases/{routed_case.pk}/").status_code == 404
    assert submit(resident_b, routed_case.pk).status_code == 404
    assert resident_b.get("/api/v1/cases/").json()["count"] == 0
    own = client_for(routed_case.resident).get("/api/v1/cases/").json()
    assert [c["id"] for c in own["results"]] == [routed_case.pk]


def test_resident_cannot_decide_or_open(routed_case):
    client = client_for(routed_case.resident)
    assert client.post(f"/api/v1/cases/{routed_case.pk}/decision/", {"decision": "approve"},
                       format="json").status_code == 403
    assert client.post("/api/v1/cases/", {"booking_id": routed_case.booking_id}, format="json").status_code == 403


def test_case_reviewer_may_read_materials_through_the_bookings_rule(routed_case):
    from bookings.selectors import material_readable_by

    material = routed_case.booking.materials.get()
    county_reviewer = reviewer_at(WORKSTATION)  # not the routed unit: no access
    assert material_readable_by(routed_case.assignee, material)
    assert not material_readable_by(county_reviewer, material)
    assert not material_readable_by(reviewer_at(OTHER_WORKSTATION), material)


def test_county_reviewer_downloads_the_materials_of_a_case_routed_to_them(agent, resident, submit):
    county_reviewer = reviewer_at(WORKSTATION)
    booking = make_booking(resident=resident, item_code=COUNTY_ITEM)  # booked at the station, decided by the county
    complete_materials(booking)
    case = open_case(agent, booking, _required_answers(booking.item))
    assert submit(client_for(agent), case["id"]).json()["assignee"]["id"] == county_reviewer.pk
    detail = client_for(county_reviewer).get(f"/api/v1/cases/{case['id']}/").json()
    material = detail["materials"][0]
    assert material["download_url"] == f"/api/v1/bookings/{booking.pk}/materials/{material['id']}/file"
    download = client_for(county_reviewer).get(material["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    assert client_for(reviewer_at(OTHER_WORKSTATION)).get(material["download_url"]).status_code == 404


def test_decision_requires_a_seal_when_sealing_is_required(routed_case, settings):
    settings.SEALING_REQUIRED = True
    client = client_for(routed_case.assignee)
    response = client.post(f"/api/v1/cases/{routed_case.pk}/decision/", {"decision": "approve"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "confirmation_required"
    assert Case.objects.get(pk=routed_case.pk).status == CaseStatus.ASSIGNED


def test_queue_filters_and_stats_need_administrator(routed_case):
    client = client_for(routed_case.assignee)
    assert client.get("/api/v1/reviews/queue/?sla_state=overdue").json()["count"] == 0
    assert client.get("/api/v1/reviews/queue/?sla_state=on_time").json()["count"] == 1
    assert client.get("/api/v1/reviews/queue/?sla_state=late").status_code == 400
    assert client.get("/api/v1/stats/").status_code == 403


def test_case_list_filters_one_residents_undecided_cases(agent, resident):
    undecided = open_case(agent, make_booking(resident=resident, item_code=TOWNSHIP_ITEM))
    decided = open_case(agent, make_booking(resident=resident, item_code=COUNTY_ITEM))
    Case.objects.filter(pk=decided["id"]).update(status=CaseStatus.APPROVED, unit=unit(STATION),
                                                 decided_at=timezone.now())
    someone_else = open_case(agent, make_booking(resident=ResidentFactory(), item_code=TOWNSHIP_ITEM))
    client = client_for(agent)

    everything = client.get("/api/v1/cases/").json()["results"]
    assert {c["id"] for c in everything} >= {undecided["id"], decided["id"], someone_else["id"]}
    theirs = client.get("/api/v1/cases/", {"resident": resident.pk}).json()["results"]
    assert {c["id"] for c in theirs} == {undecided["id"], decided["id"]}
    open_ones = client.get("/api/v1/cases/", {"resident": resident.pk, "undecided": "true"}).json()["results"]
    assert [c["id"] for c in open_ones] == [undecided["id"]]
    refused = client.get("/api/v1/cases/", {"resident": "王"})
    assert refused.status_code == 400 and "resident" in refused.json()["fields"]
    # Another unit's agent sees none of them, filter or not.
    assert client_for(agent_at(OTHER_WORKSTATION)).get("/api/v1/cases/", {"resident": resident.pk}).json()[
        "results"] == []
