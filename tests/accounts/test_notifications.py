"""The notification service: one record and one SMS per event, whatever the number of calls."""
import pytest
from django.db import transaction

from accounts.models import Notification
from accounts.notifications import notification_send

pytestmark = pytest.mark.django_db(transaction=True)


def _send(user, key="booking:1:booked:1", title="预约成功"):
    return notification_send(user=user, event_key=key, kind="booking_confirmed", title=title, body="正文",
                             link="/me/", sms=True)


def test_a_notice_is_recorded_and_texted_once(resident, sms_outbox):
    notice = _send(resident)
    again = _send(resident, title="second title")

    assert again is None
    stored = Notification.objects.get(event_key="booking:1:booked:1")
    assert (notice.pk, notice.user_id, notice.title, notice.sent_sms) == (stored.pk, resident.pk, "预约成功", True)
    assert notice.created_at == stored.created_at
    assert [m["phone"] for m in sms_outbox] == [resident.phone]


def test_a_duplicate_inside_a_transaction_leaves_the_transaction_usable(resident, sms_outbox):
    _send(resident)
    with transaction.atomic():
        assert _send(resident) is None
        fresh = _send(resident, key="booking:1:changed:1")
        assert Notification.objects.filter(user=resident).count() == 2  # the transaction still runs statements
    assert fresh.pk and len(sms_outbox) == 2


def test_no_sms_for_a_rolled_back_notice(resident, sms_outbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        _send(resident)
        raise RuntimeError
    assert not Notification.objects.exists() and sms_outbox == []
    assert _send(resident) is not None  # the event was never recorded: it may be sent now


class _GatewayDown:
    def send(self, *, phone: str, message: str) -> None:
        raise ConnectionError("SMS gateway unreachable")


def test_a_failed_sms_after_the_commit_keeps_the_notice_and_says_no_sms_went_out(resident, settings, caplog):
    settings.SMS_BACKEND = f"{__name__}._GatewayDown"
    with transaction.atomic():
        notice = _send(resident)
    stored = Notification.objects.get(pk=notice.pk)
    assert stored.title == "预约成功" and stored.sent_sms is False
    assert "notification.sms_failed" in caplog.text


def test_the_notices_answer_counts_all_unread_and_marking_read_answers_the_same_shape(resident):
    from tests.factories import client_for

    for n in range(3):
        Notification.objects.create(user=resident, event_key=f"test-{n}", kind="booking", title=f"通知{n}")
    api = client_for(resident)
    listed = api.get("/api/v1/me/notices/").json()
    assert listed["unread"] == 3 and len(listed["results"]) == 3
    marked = api.post("/api/v1/me/notices/read/", {"ids": [listed["results"][0]["id"]]}, format="json").json()
    assert marked["unread"] == 2 and {row["id"] for row in marked["results"]} == {r["id"] for r in listed["results"]}
