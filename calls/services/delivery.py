"""Socket messages a write causes: queued in an Outbox, sent through the channel layer after the commit."""

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer
from django.db import transaction

from core.logging import get_logger

log = get_logger(__name__)


def user_group(user_id) -> str:
    return f"user.{user_id}"


def unit_group(unit_id) -> str:
    return f"unit.{unit_id}"


class Outbox:
    """Socket messages caused by a write; delivered after the transaction commits, never for a rollback."""

    def __init__(self):
        self.items: list[tuple[str, str, dict]] = []

    def to_channel(self, channel_name: str | None, payloads: list[dict], *, call_id=None, peers: dict | None = None,
                   admitted: bool | None = None, close: int | None = None):
        if not channel_name:
            return
        message = {"type": "room.send", "call_id": str(call_id) if call_id else None, "payloads": payloads}
        if peers is not None:
            message["peers"] = peers
        if admitted is not None:
            message["admitted"] = admitted
        if close is not None:
            message["close"] = close
        self.items.append(("send", channel_name, message))

    def to_user(self, user_id, payload: dict):
        self.items.append(("group", user_group(user_id), {"type": "inbox.send", "payload": payload}))

    def to_unit(self, unit_id, payload: dict):
        self.items.append(("group", unit_group(unit_id), {"type": "inbox.send", "payload": payload}))

    def commit(self):
        items, self.items = self.items, []
        if items:
            transaction.on_commit(lambda: deliver(items))


def deliver(items):
    layer = get_channel_layer()

    async def run():
        for kind, target, message in items:
            try:
                if kind == "send":
                    await layer.send(target, message)
                else:
                    await layer.group_send(target, message)
            except ChannelFull:
                log.warning("calls.channel_full", target=target, message_type=message.get("type"))

    async_to_sync(run)()
