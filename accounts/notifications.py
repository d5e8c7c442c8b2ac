"""The notification service: in-app records plus SMS, never twice for the same event."""
from django.db import IntegrityError, transaction

from accounts.models import Notification, User
from accounts.sms import send_sms
from config.logging import get_logger

log = get_logger(__name__)


def notification_send(*, user: User, event_key: str, kind: str, title: str, body: str = "", link: str = "",
                      sms: bool = False) -> Notification | None:
    """Record the notice and send the SMS; returns None when this event was already notified.

    `event_key` names the event, e.g. "booking:42:reminder"; the unique constraint makes a
    retried task or a duplicate call a no-op.
    """
    try:
        with transaction.atomic():
            notice = Notification.objects.create(user=user, event_key=event_key, kind=kind, title=title, body=body,
                                                 link=link, sent_sms=bool(sms and user.phone))
    except IntegrityError:
        return None
    if notice.sent_sms:
        # After the commit, so a rolled-back transaction never leaves an SMS without its record.
        transaction.on_commit(lambda: send_sms(phone=user.phone, message=f"{title} {body}".strip()))
    log.info("notification.sent", kind=kind, notification_id=notice.pk)
    return notice
