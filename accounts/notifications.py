"""The notification service: in-app records plus SMS, never twice for the same event."""
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

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


# One statement on PostgreSQL: a duplicate event is skipped by the database (a concurrent insert of the same key
# is waited for), with no savepoint around the insert. Elsewhere the ORM's insert inside a savepoint.
_INSERT_SQL = "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (event_key) DO NOTHING RETURNING id"


def _notification_insert(notice: Notification) -> bool:
    """Insert `notice` (its pk set); False when its event_key is already there."""
    if connection.vendor != "postgresql":
        try:
            with transaction.atomic():
                notice.save(force_insert=True)
        except IntegrityError:
            return False
        return True
    fields = [f for f in Notification._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(notice, add=True), connection) for f in fields]
    sql = _INSERT_SQL.format(table=connection.ops.quote_name(Notification._meta.db_table),
                             columns=", ".join(connection.ops.quote_name(f.column) for f in fields),
                             values=", ".join(["%s"] * len(fields)))
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    notice.pk = row[0]
    notice._state.adding, notice._state.db = False, connection.alias
    return True


def notices_mark_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the person's unread notices as read (only `ids` when given); returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
