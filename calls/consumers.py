"""WebSocket consumers: the call room, the station console, a person's own notices. Thin: rules are in services.

Channels' own consumer classes, used through their documented handlers (connect, receive, disconnect, and a
method per channel-layer message type). Every inbound frame passes calls.messages (size, JSON, type, each
field, text that can be relayed) after a per-socket rate check; a bad one gets an `error` back and is dropped,
the socket and the room stay up, and nobody else is sent anything. Signaling (offer/answer/ice-candidate)
goes to the one named peer's channel, never to a group.
"""
import json
import time
import uuid

from channels.db import database_sync_to_async
from channels.exceptions import ChannelFull
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone
from django.utils.translation import gettext as _

from calls import conf, messages, selectors, services
from calls.messages import CONSOLE_MESSAGES, INBOX_MESSAGES, ROOM_MESSAGES, Refused
from calls.selectors import CallOver
from core.errors import Forbidden, NotFound, ServiceError


class TokenBucket:
    """Per-socket message budget: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class GuardedConsumer(AsyncWebsocketConsumer):
    """Rate and shape checks shared by every socket of ours; messages reach `on_<type>` handlers clean."""

    schema: dict = {}
    listening = False  # set once the connection is authorised; frames before that (or after a refusal) drop

    async def send_message(self, payload: dict):
        await self.send(text_data=json.dumps(payload, ensure_ascii=False))

    async def send_error(self, code: str, detail: str, ref: str | None = None):
        await self.send_message({"type": "error", "code": code, "detail": str(detail), "ref": ref})

    async def refuse(self, close_code: int):
        self.listening = False
        await self.close(code=close_code)

    async def receive(self, text_data=None, bytes_data=None):
        if not self.listening:
            return
        if not self.bucket.take():
            await self.send_error("rate_limited", _("消息过于频繁，已丢弃，请稍后再发。"))
            return
        try:
            message = messages.parse(text_data if text_data is not None else bytes_data, self.schema)
        except Refused as refusal:
            await self.send_error(refusal.code, refusal.detail, ref=refusal.ref)
            return
        await getattr(self, "on_" + message["type"].replace("-", "_"))(message)

    def start_listening(self):
        self.listening = True
        self.bucket = TokenBucket(*conf.message_rate())


class CallRoomConsumer(GuardedConsumer):
    """/ws/calls/{call_id}/: one person's place in a call room."""

    schema = ROOM_MESSAGES

    async def connect(self):
        self.call_id = None
        self.participant_id = None
        self.admitted = False
        self.peers: dict[str, str] = {}
        await self.accept()
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            return await self.refuse(4401)
        try:
            call_id = uuid.UUID(self.scope["url_route"]["kwargs"]["call_id"])
            call, role = await database_sync_to_async(selectors.call_room_access)(call_id=call_id, user=self.user)
        except (ValueError, NotFound):
            return await self.refuse(4404)
        except Forbidden:
            return await self.refuse(4403)
        except CallOver:
            return await self.refuse(4410)
        self.call_id = str(call.pk)
        self.start_listening()
        await self.send_message({"type": "hello", "call_id": self.call_id, "role": role,
                                 "max_participants": conf.max_participants(),
                                 "reconnect_grace_seconds": conf.reconnect_grace_seconds()})

    async def disconnect(self, code):
        if self.participant_id:
            await database_sync_to_async(services.call_room_disconnect)(participant_id=self.participant_id,
                                                                         channel_name=self.channel_name)

    async def _service(self, function, ref, **kwargs):
        try:
            return await database_sync_to_async(function)(**kwargs), True
        except ServiceError as exc:
            await self.send_error(exc.code, exc.detail, ref=ref)
            return exc, False

    # --- inbound ---
    async def on_join(self, message):
        if self.participant_id and not message.get("participant_id"):
            return await self.send_error("already_joined", _("您已在此通话中。"), ref="join")
        result, ok = await self._service(services.call_room_join, "join", call_id=self.call_id, user=self.user,
                                         channel_name=self.channel_name, participant_id=message.get("participant_id"))
        if not ok:
            close = {"room_full": 4409, "forbidden": 4403, "call_over": 4410}.get(result.code)
            if close:
                await self.refuse(close)
            return
        self.participant_id = result["participant_id"]
        self.admitted = result["state"] == "admitted"
        self.peers = dict(result["peer_channels"])
        await self.send_message({"type": "joined", "participant_id": self.participant_id,
                                 "rejoined": result["rejoined"], "state": result["state"], "me": result["me"],
                                 "call": result["call"], "may_admit": result["may_admit"]})
        if self.admitted:
            await self.send_message({"type": "peers", "peers": result["peers"]})
        elif result["queue"]:
            await self.send_message({"type": "waiting", **result["queue"]})

    async def relay(self, message):
        if not self.admitted:
            return await self.send_error("not_admitted", _("请等待工作人员准入后再建立连接。"), ref=message["type"])
        target = message["to"]
        channel = self.peers.get(target)
        if channel is None and target != self.participant_id:
            self.peers = await database_sync_to_async(services.room_peer_channels)(
                call_id=self.call_id, participant_id=self.participant_id)
            channel = self.peers.get(target)
        if channel is None:
            return await self.send_error("unknown_peer", _("对方不在通话中或暂时断线。"), ref=message["type"])
        payload = {key: value for key, value in message.items() if key != "to"}
        payload["from"] = self.participant_id
        try:
            await self.channel_layer.send(channel, self.relay_event(payload))
        except ChannelFull:
            await self.send_error("peer_busy", _("对方网络拥塞，消息未送达，请稍后重试。"), ref=message["type"])

    def relay_event(self, payload: dict) -> dict:
        # Our own channel rides along: a peer that missed the notice of our rejoin learns where we are now.
        return {"type": "room.relay", "call_id": self.call_id, "payload": payload, "channel": self.channel_name}

    on_offer = on_answer = on_ice_candidate = relay

    async def on_leave(self, message):
        if self.participant_id:
            await database_sync_to_async(services.call_room_leave)(participant_id=self.participant_id,
                                                                    channel_name=self.channel_name)
            self.participant_id = None
        await self.refuse(1000)

    async def on_hangup(self, message):
        if not self.participant_id:
            return await self.send_error("not_joined", _("请先加入通话。"), ref="hangup")
        await self._service(services.call_hangup, "hangup", call_id=self.call_id, actor=self.user)

    async def on_media_state(self, message):
        if not self.participant_id:
            return await self.send_error("not_joined", _("请先加入通话。"), ref="media-state")
        state = {key: value for key, value in message.items() if key != "type"}
        await self._service(services.participant_media_state, "media-state", participant_id=self.participant_id,
                            channel_name=self.channel_name, state=state)

    async def on_chat(self, message):
        if not self.admitted:
            return await self.send_error("not_admitted", _("请等待工作人员准入后再发送消息。"), ref="chat")
        payload = {"type": "chat", "from": self.participant_id, "text": message["text"],
                   "at": timezone.now().isoformat()}
        for channel in list(self.peers.values()):
            try:
                await self.channel_layer.send(channel, self.relay_event(payload))
            except ChannelFull:
                pass
        await self.send_message(payload)

    async def on_ping(self, message):
        if self.participant_id:
            await database_sync_to_async(services.participant_heartbeat)(participant_id=self.participant_id,
                                                                          channel_name=self.channel_name)
        await self.send_message({"type": "pong", "ts": message.get("ts"), "server_time": time.time()})

    async def on_admit(self, message):
        if not self.participant_id:
            return await self.send_error("not_joined", _("请先加入通话。"), ref="admit")
        result, ok = await self._service(services.participant_admit, "admit", call_id=self.call_id, actor=self.user,
                                         participant_id=message.get("participant_id"),
                                         admit_all=bool(message.get("all")))
        if ok:
            await self.send_message({"type": "admit-ok", "admitted": result})

    async def on_hold(self, message):
        if not self.participant_id:
            return await self.send_error("not_joined", _("请先加入通话。"), ref="hold")
        _result, ok = await self._service(services.participant_hold, "hold", call_id=self.call_id, actor=self.user,
                                          participant_id=message["participant_id"])
        if ok:
            await self.send_message({"type": "hold-ok", "participant_id": message["participant_id"]})

    # --- from the channel layer ---
    async def room_send(self, event):
        if event.get("call_id") and event["call_id"] != self.call_id:
            return
        for peer_id, channel in (event.get("peers") or {}).items():
            if channel:
                self.peers[peer_id] = channel
            else:
                self.peers.pop(peer_id, None)
        if "admitted" in event:
            self.admitted = event["admitted"]
        for payload in event["payloads"]:
            await self.send_message(payload)
        if event.get("close"):
            self.participant_id = None  # the place is already settled by the service that closes us
            await self.refuse(event["close"])

    async def room_relay(self, event):
        if event.get("call_id") != self.call_id or not self.participant_id:
            return
        sender, channel = event["payload"].get("from"), event.get("channel")
        if channel and self.peers.get(sender) != channel:
            # A socket of theirs we were never told about (that notice was lost): learn it, tell the page late.
            notice = await database_sync_to_async(services.room_peer_resync)(
                call_id=self.call_id, participant_id=self.participant_id, peer_id=sender, channel_name=channel)
            if notice is None:
                return
            self.peers[sender] = channel
            await self.send_message(notice)
        await self.send_message(event["payload"])


class InboxConsumer(GuardedConsumer):
    """/ws/me/: a person's own notices (an incoming call rings here)."""

    schema = INBOX_MESSAGES

    async def connect(self):
        self.groups_joined: list[str] = []
        await self.accept()
        self.user = self.scope.get("user")
        if self.user is None or not self.user.is_authenticated:
            return await self.refuse(4401)
        if not await self.authorised():
            return await self.refuse(4403)
        for group in self.wanted_groups():
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await database_sync_to_async(services.inbox_socket_open)(user=self.user, channel_name=self.channel_name)
        self.start_listening()
        await self.send_message({"type": "hello", "user_id": self.user.pk})
        await self.after_connect()

    async def authorised(self) -> bool:
        return True

    def wanted_groups(self) -> list[str]:
        return [services.user_group(self.user.pk)]

    async def after_connect(self):
        pass

    async def disconnect(self, code):
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        if getattr(self, "groups_joined", None):
            await database_sync_to_async(services.inbox_socket_close)(channel_name=self.channel_name)

    async def on_ping(self, message):
        await database_sync_to_async(services.inbox_socket_touch)(channel_name=self.channel_name)
        await self.send_message({"type": "pong", "ts": message.get("ts"), "server_time": time.time()})

    async def _answer(self, message, accept: bool):
        try:
            await database_sync_to_async(services.call_answer)(call_id=message["call_id"], user=self.user,
                                                               accept=accept)
        except ServiceError as exc:
            return await self.send_error(exc.code, exc.detail, ref=message["type"])
        await self.send_message({"type": "answer-ok", "call_id": message["call_id"], "accepted": accept})

    async def on_accept(self, message):
        await self._answer(message, True)

    async def on_decline(self, message):
        await self._answer(message, False)

    async def inbox_send(self, event):
        await self.send_message(event["payload"])


class StationConsoleConsumer(InboxConsumer):
    """/ws/stations/{unit_id}/: the unit's live waiting list, ringing calls, invitations, for its staff."""

    schema = CONSOLE_MESSAGES

    async def authorised(self) -> bool:
        self.unit_id = int(self.scope["url_route"]["kwargs"]["unit_id"])
        return await database_sync_to_async(services.console_may_open)(user=self.user, unit_id=self.unit_id)

    def wanted_groups(self) -> list[str]:
        return [services.unit_group(self.unit_id), services.user_group(self.user.pk)]

    async def after_connect(self):
        waiting = await database_sync_to_async(selectors.waiting_list)(unit_id=self.unit_id)
        await self.send_message({"type": "waiting-list", "unit_id": self.unit_id, "waiting": waiting})

    async def on_admit(self, message):
        try:
            admitted = await database_sync_to_async(services.participant_admit)(
                call_id=message["call_id"], actor=self.user, participant_id=message.get("participant_id"),
                admit_all=bool(message.get("all")))
        except ServiceError as exc:
            return await self.send_error(exc.code, exc.detail, ref="admit")
        await self.send_message({"type": "admit-ok", "call_id": message["call_id"], "admitted": admitted})


class NoSuchRouteConsumer(AsyncWebsocketConsumer):
    """Any other /ws/ path (a console of unit "abc", a typo): closed as not found, not failed."""

    async def connect(self):
        await self.accept()
        await self.close(code=4404)
