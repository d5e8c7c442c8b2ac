"""The personal sockets (/ws/me/ and the station consoles) a person holds open."""

from django.utils import timezone

from calls.models import InboxSocket
from stations.models import StaffMembership


def inbox_socket_open(*, user, channel_name: str) -> None:
    now = timezone.now()
    InboxSocket.objects.update_or_create(channel_name=channel_name, defaults={"user": user, "connected_at": now,
                                                                              "last_seen_at": now})


def inbox_socket_touch(*, channel_name: str) -> None:
    InboxSocket.objects.filter(channel_name=channel_name).update(last_seen_at=timezone.now())


def inbox_socket_close(*, channel_name: str) -> None:
    InboxSocket.objects.filter(channel_name=channel_name).delete()


def console_may_open(*, user, unit_id) -> bool:
    return bool(user.is_staff_member and StaffMembership.objects.filter(user=user, unit_id=unit_id).exists())
