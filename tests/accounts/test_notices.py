"""A person's in-app notices through the API: newest first, the unread count, marking read, only one's own."""
import pytest

from accounts.notifications import notification_send
from tests.factories import ResidentFactory, client_for

pytestmark = pytest.mark.django_db


def test_notices_list_newest_first_with_the_unread_count(resident):
    notification_send(user=resident, event_key="t:1", kind="booking_confirmed", title="预约成功", link="/me/bookings/")
    notification_send(user=resident, event_key="t:2", kind="seal_confirmation", title="用印确认码", body="123456")
    answer = client_for(resident).get("/api/v1/me/notices/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["unread"] == 2
    assert [n["title"] for n in data["results"]] == ["用印确认码", "预约成功"]
    assert data["results"][0]["body"] == "123456" and data["results"][0]["unread"] is True
    assert data["results"][1]["link"] == "/me/bookings/"


def test_marking_read_clears_the_count_for_the_given_ones_or_all(resident):
    first = notification_send(user=resident, event_key="t:1", kind="k", title="一")
    notification_send(user=resident, event_key="t:2", kind="k", title="二")
    client = client_for(resident)
    partly = client.post("/api/v1/me/notices/read/", {"ids": [first.pk]}, format="json").json()
    assert partly["unread"] == 1
    assert {n["title"]: n["unread"] for n in partly["results"]} == {"一": False, "二": True}
    assert client.post("/api/v1/me/notices/read/", {}, format="json").json()["unread"] == 0


def test_nobody_sees_or_marks_another_persons_notices(resident):
    other = ResidentFactory()
    theirs = notification_send(user=other, event_key="t:9", kind="k", title="别人的")
    client = client_for(resident)
    assert client.get("/api/v1/me/notices/").json() == {"unread": 0, "results": []}
    client.post("/api/v1/me/notices/read/", {"ids": [theirs.pk]}, format="json")
    assert client_for(other).get("/api/v1/me/notices/").json()["unread"] == 1


def test_notices_need_a_signed_in_person(api):
    assert api.get("/api/v1/me/notices/").status_code in (401, 403)
