"""Decisions sealed through signing: confirmation code by SMS, the sealed letter; routing needs a real seal
(and, for a township station, a delegation) once sealing is required."""
import datetime
import re

import pytest
from django.utils import timezone

from reviews.models import Case, CaseStatus
from tests.factories import ResidentFactory, client_for
from tests.support.places import STATION, TOWNSHIP_ITEM, WORKSTATION, unit
from tests.support.reviews import COUNTY_ITEM, agent_at, complete_materials, make_booking, reviewer_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealing_on(settings, org):
    from signing.services import ca_create

    settings.SEALING_REQUIRED = True
    return ca_create()


def _submit(agent, booking, form_data, capture):
    client = client_for(agent)
    case = client.post("/api/v1/cases/", {"booking_id": booking.pk, "form_data": form_data}, format="json").json()
    with capture(execute=True):
        assert client.post(f"/api/v1/cases/{case['id']}/submit/").status_code == 200
    return Case.objects.get(pk=case["id"])


def _answers(item):
    return {f["name"]: {"choice": (f.get("choices") or [""])[0], "date": "2026-11-01", "number": 1}.get(
        f["type"], "文本") for f in item.form_fields if f.get("required")}


def test_approval_is_sealed_with_the_code_sent_to_the_reviewer(sealing_on, resident, sms_outbox,
                                                               django_capture_on_commit_callbacks):
    from signing.models import SealedDecision
    from signing.services import seal_issue

    reviewer = reviewer_at(WORKSTATION)
    reviewer.phone = "13700000001"
    reviewer.save()
    seal_issue(unit=unit(WORKSTATION), keepers=[reviewer])
    booking = make_booking(resident=resident, item_code=COUNTY_ITEM)
    complete_materials(booking)
    case = _submit(agent_at(STATION), booking, _answers(booking.item), django_capture_on_commit_callbacks)
    assert case.assignee == reviewer
    client = client_for(reviewer)
    url = f"/api/v1/cases/{case.pk}/decision/"

    without_code = client.post(url, {"decision": "approve"}, format="json")
    assert without_code.status_code == 400 and without_code.json()["code"] == "confirmation_required"

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(f"{url}confirmation/", {"decision": "approve", "reason": "材料齐全"}, format="json")
    assert asked.status_code == 200, asked.json()
    assert any(label == "决定" for label, _value in asked.json()["summary"])
    # The tests' SMS backend keeps messages, like the console one: the desk must not say "your phone".
    assert asked.json()["sent_to"] == "console"
    sms = [m["message"] for m in sms_outbox if m["phone"] == reviewer.phone]
    assert sms, "no confirmation code was texted to the reviewer"
    code = re.search(r"确认码(\d{6})", sms[-1]).group(1)

    wrong = client.post(url, {"decision": "approve", "confirmation_code": "000000" if code != "000000" else "111111"},
                        format="json")
    assert wrong.status_code == 400 and Case.objects.get(pk=case.pk).status == CaseStatus.ASSIGNED
    changed = client.post(url, {"decision": "reject", "reason": "x", "confirmation_code": code}, format="json")
    assert changed.status_code == 400 and changed.json()["code"] == "confirmation_stale"

    done = client.post(url, {"decision": "approve", "confirmation_code": code}, format="json")
    assert done.status_code == 200, done.json()
    assert done.json()["status"] == "approved" and done.json()["decision_reason"] == "材料齐全"
    sealed = SealedDecision.objects.get(case_id=case.pk)
    assert Case.objects.get(pk=case.pk).seal_reference == sealed.verification_code
    assert len(sealed.record["materials"]) == booking.materials.count()
    letter = client_for(resident).get(f"/api/v1/cases/{case.pk}/letter.pdf")
    assert letter.status_code == 200 and b"".join(letter.streaming_content if letter.streaming else
                                                  [letter.content]).startswith(b"%PDF")
    assert sealed.verification_code in letter["Content-Disposition"]
    signature = client_for(resident).get(f"/api/v1/cases/{case.pk}/seal-signature/").json()
    assert signature["seal_signature"]["record_sha256"] == sealed.record_hash
    stranger = client_for(ResidentFactory())
    for path in ("letter.pdf", "seal-signature/"):
        refused = stranger.get(f"/api/v1/cases/{case.pk}/{path}")
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert client_for(resident).get("/api/v1/cases/999999/letter.pdf").status_code == 404


def test_township_station_needs_a_seal_and_a_delegation(sealing_on, resident, django_capture_on_commit_callbacks):
    from signing.services import delegation_grant, seal_issue

    station_reviewer = reviewer_at(STATION)
    reviewer_at(WORKSTATION)
    seal_issue(unit=unit(WORKSTATION))
    agent = agent_at(STATION)
    # Keeper appointed but no seal issued: up to the county.
    first = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(first)
    assert _submit(agent, first, {"household_type": "本地户籍"}, django_capture_on_commit_callbacks).unit.code == \
        WORKSTATION
    # A seal, but no delegation for the item: still the county.
    seal_issue(unit=unit(STATION), keepers=[station_reviewer])
    second = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(second)
    assert _submit(agent, second, {"household_type": "本地户籍"}, django_capture_on_commit_callbacks).unit.code == \
        WORKSTATION
    # Seal and delegation: the station decides.
    delegation_grant(unit=unit(STATION), item_codes=[TOWNSHIP_ITEM],
                     valid_until=timezone.now() + datetime.timedelta(days=30))
    third = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    complete_materials(third)
    routed = _submit(agent, third, {"household_type": "本地户籍"}, django_capture_on_commit_callbacks)
    assert (routed.unit.code, routed.assignee) == (STATION, station_reviewer)


def test_a_reviewer_without_a_phone_finds_the_code_in_the_notices_and_the_answer_says_so(
        sealing_on, resident, settings, sms_outbox, django_capture_on_commit_callbacks):
    from signing.services import seal_issue

    settings.DEBUG = True  # the embedded profile: a staff account without a phone may still seal
    reviewer = reviewer_at(WORKSTATION)
    assert not reviewer.phone
    seal_issue(unit=unit(WORKSTATION), keepers=[reviewer])
    booking = make_booking(resident=resident, item_code=COUNTY_ITEM)
    complete_materials(booking)
    case = _submit(agent_at(STATION), booking, _answers(booking.item), django_capture_on_commit_callbacks)
    client = client_for(reviewer)
    before = client.get("/api/v1/me/notices/").json()["unread"]
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(f"/api/v1/cases/{case.pk}/decision/confirmation/", {"decision": "approve"},
                            format="json")
    assert asked.status_code == 200, asked.json()
    assert asked.json()["sent_to"] == "notice"
    assert not sms_outbox
    notices = client.get("/api/v1/me/notices/").json()
    assert notices["unread"] == before + 1
    code = next(n["body"] for n in notices["results"] if n["kind"] == "seal_confirmation")
    done = client.post(f"/api/v1/cases/{case.pk}/decision/", {"decision": "approve", "confirmation_code": code},
                       format="json")
    assert done.status_code == 200 and done.json()["status"] == "approved"
