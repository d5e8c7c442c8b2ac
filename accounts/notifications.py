"""The notification service: in-app records plus SMS, never twice for the same event."""
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Notification, User
from accounts.sms import send_sms
from core.logging import get_logger

log = get_logger(__name__)


def notification_send(*, user: User, event_key: str, kind: str, title: str, body: str = "", link: str = "",
                      sms: bool = False) -> Notification | None:
    """Record the notice and send the SMS; returns None when this event was already notified.

    `event_key` names the event, e.g. "booking:42:reminder"; the unique constraint makes a
    retried task or a duplicate call a no-op.
    """
    notice = Notification(user=user, event_key=event_key, kind=kind, title=title, body=body, link=link,
                          sent_sms=bool(sms and user.phone))
    if not _notification_insert(notice):
        return None
    if notice.sent_sms:
        # After the commit, so a rolled-back transaction never leaves an SMS without its record.
        transaction.on_commit(lambda: _text(notice, phone=user.phone, message=f"{title} {body}".strip()))
    log.info("notification.sent", kind=kind, notification_id=notice.pk)
    return notice


def _text(notice: Notification, *, phone: str, message: str) -> None:
    """Send the notice's SMS. The write that caused it is committed: a gateway failure must not turn it into an
    error for the user, so it is logged and the record says no SMS went out (the in-app notice stays)."""
    try:
        send_sms(phone=phone, message=message)
    except Exception:
        log.exception("notification.sms_failed", kind=notice.kind, notification_id=notice.pk)
        Notification.objects.filter(pk=notice.pk).update(sent_sms=False)


def _notification_insert(notice: Notification) -> bool:
    """Insert `notice`; False when its event_key is already there (the unique constraint decides, also when two
    inserts of one event race: the second waits for the first and then fails inside its savepoint)."""
    try:
        with transaction.atomic():
            notice.save(force_insert=True)
    except IntegrityError:
        return False
    return True


def notices_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the person's unread notices as read (only `ids` when given); returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
