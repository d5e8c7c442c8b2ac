"""A case's detail is read whole by its selector and only shaped by the serializer. The call it offers (the desk's
"join" button): the booking's call, else the latest call linked to the case, else none."""
import datetime
import json

import pytest
from django.utils import timezone

from calls.models import Call
from reviews import selectors, services
from reviews.serializers import CaseDetailOut
from tests.factories import CallFactory, client_for
from tests.support.places import STATION, TOWNSHIP_ITEM, item
from tests.support.reviews import add_material, agent_at, make_booking

pytestmark = pytest.mark.django_db


def linked_call(case_id: int, *, status: str, hours_ago: int) -> Call:
    call = CallFactory(case_id=case_id, status=status)
    Call.objects.filter(pk=call.pk).update(created_at=timezone.now() - datetime.timedelta(hours=hours_ago))
    return call


def detail_call(agent, case_id: int):
    response = client_for(agent).get(f"/api/v1/cases/{case_id}/")
    assert response.status_code == 200
    return response.json()["call"]


def test_a_walk_in_case_offers_its_latest_linked_call_or_none(org, resident):
    agent = agent_at(STATION)
    case = services.case_create(actor=agent, resident=resident, item=item(TOWNSHIP_ITEM))
    assert detail_call(agent, case.pk) is None
    linked_call(case.pk, status="ended", hours_ago=2)
    latest = linked_call(case.pk, status="active", hours_ago=1)
    linked_call(case.pk + 1, status="ringing", hours_ago=0)  # another case's
    assert detail_call(agent, case.pk) == {"id": str(latest.pk), "status": "active"}


def test_a_booked_case_offers_the_bookings_call_even_when_a_later_one_is_linked(org, resident):
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    booked = Call.objects.get(booking=booking)  # calls' hook makes it with the booking
    Call.objects.filter(pk=booked.pk).update(created_at=timezone.now() - datetime.timedelta(days=1))
    case = services.case_create(actor=agent, booking=booking)
    linked_call(case.pk, status="active", hours_ago=0)
    assert detail_call(agent, case.pk) == {"id": str(booked.pk), "status": booked.status}


def test_the_detail_is_read_by_the_selector_and_only_shaped_by_the_serializer(org, resident,
                                                                             django_assert_num_queries):
    agent = agent_at(STATION)
    booking = make_booking(resident=resident, item_code=TOWNSHIP_ITEM)
    add_material(booking, "id_card")
    case = services.case_create(actor=agent, booking=booking, form_data={"household_type": "本地户籍"})
    detail = selectors.case_detail(case_id=case.pk)
    with django_assert_num_queries(0):
        body = CaseDetailOut(detail).data
    assert body["call"] == {"id": str(Call.objects.get(booking=booking).pk), "status": "scheduled"}
    assert [m["requirement_code"] for m in body["materials"]] == ["id_card"]
    assert body["checklist"] == [{"code": "id_card", "name": "居民身份证", "mandatory": True}]
    assert body["missing_materials"] == [] and [e["action"] for e in body["timeline"]] == ["created"]
    assert client_for(agent).get(f"/api/v1/cases/{case.pk}/").json() == json.loads(json.dumps(body, default=str))
