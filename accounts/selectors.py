"""Reads of accounts data: a person's own in-app notices."""
from django.db.models import QuerySet

from accounts.models import Notification, User

NOTICES_SHOWN = 20


def notice_list(*, user: User, limit: int = NOTICES_SHOWN) -> QuerySet[Notification]:
    """The person's latest notices, newest first."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-pk")[:limit]


def notice_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notice_summary(*, user: User) -> dict:
    """What the notices panel shows: the latest notices and how many of all are unread."""
    return {"unread": notice_unread_count(user=user), "results": notice_list(user=user)}
