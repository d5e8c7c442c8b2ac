"""What each WebSocket route accepts from a client, and the one check every inbound frame passes.

A frame becomes a message here or is refused here, before any handler runs: size, JSON, the message type of
the route, every field's kind, and text that can be sent on to someone else (a lone UTF-16 surrogate such as
"\\ud800" parses as JSON but cannot be encoded as UTF-8, and would break the socket of whoever it is relayed
to). What passes is a new dict holding only the fields the type declares, ids normalised, so handlers never
see (or relay) anything else.
"""
import json
import math
import uuid

from django.utils.translation import gettext as _

from calls import conf

# Field kinds; a trailing "?" also accepts null.
TEXT, UUID, BOOL, INT, NUMBER = "text", "uuid", "bool", "int", "number"

CONNECTION_STATES = {"new", "checking", "connecting", "connected", "disconnected", "failed", "closed", "completed"}
CHAT_MAX_CHARS = 2000

# type -> (required fields, optional fields), each field -> its kind
ROOM_MESSAGES = {
    "join": ({}, {"participant_id": UUID + "?"}),
    "offer": ({"to": UUID, "sdp": TEXT}, {"ice_restart": BOOL}),
    "answer": ({"to": UUID, "sdp": TEXT}, {}),
    "ice-candidate": ({"to": UUID}, {"candidate": TEXT + "?", "sdpMid": TEXT + "?", "sdpMLineIndex": INT + "?",
                                     "usernameFragment": TEXT + "?"}),
    "leave": ({}, {}),
    "hangup": ({}, {}),
    "media-state": ({}, {"muted": BOOL, "camera_off": BOOL, "audio_only": BOOL, "connection": TEXT,
                         "peer": UUID + "?"}),
    "chat": ({"text": TEXT}, {}),
    "ping": ({}, {"ts": NUMBER}),
    "admit": ({}, {"participant_id": UUID, "all": BOOL}),
    "hold": ({"participant_id": UUID}, {}),
}
INBOX_MESSAGES = {
    "ping": ({}, {"ts": NUMBER}),
    "accept": ({"call_id": UUID}, {}),
    "decline": ({"call_id": UUID}, {}),
}
CONSOLE_MESSAGES = {**INBOX_MESSAGES, "admit": ({"call_id": UUID}, {"participant_id": UUID, "all": BOOL})}


class Refused(Exception):
    """A frame that is not a message of this route: answered to its sender with an `error`, then dropped."""

    def __init__(self, code: str, detail: str, ref: str | None = None):
        super().__init__(code)
        self.code, self.detail, self.ref = code, detail, ref


def sendable(text: str) -> bool:
    """Text that can go out in a WebSocket text frame (UTF-8): no lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown(value) -> str:
    """A piece of a refused frame that is safe to quote back to its sender."""
    return str(value)[:40].encode("utf-8", "replace").decode("utf-8")


def _clean(value, kind: str):
    """The value as the handlers get it; raises ValueError for a wrong kind, UnicodeError for unsendable text."""
    if kind.endswith("?"):
        if value is None:
            return None
        kind = kind[:-1]
    if kind == BOOL and isinstance(value, bool):
        return value
    if isinstance(value, bool):
        raise ValueError  # JSON true is not a number or an id here
    if kind == TEXT and isinstance(value, str):
        if not sendable(value):
            raise UnicodeError
        return value
    if kind == UUID and isinstance(value, str):
        return str(uuid.UUID(value))  # ValueError for anything else; one spelling for the lookups
    if kind == INT and isinstance(value, int):
        return value
    if kind == NUMBER and isinstance(value, int | float) and math.isfinite(value):
        return value
    raise ValueError


def _field_error(field: str, error: Exception, kind: str) -> Refused:
    if isinstance(error, UnicodeError):
        return Refused("bad_text", _("字段 %(field)s 含有无法传送的字符。") % {"field": field}, ref=kind)
    return Refused("bad_field", _("字段格式错误：%(field)s") % {"field": field}, ref=kind)


def _check_rules(kind: str, message: dict, optional: dict):
    """Rules across fields, beyond each field's kind."""
    if kind == "media-state":
        if not any(field in message for field in optional if field != "peer"):
            raise Refused("missing_field", _("媒体状态消息至少需要一个字段。"), ref=kind)
        if "connection" in message and message["connection"] not in CONNECTION_STATES:
            raise Refused("bad_field", _("字段格式错误：%(field)s") % {"field": "connection"}, ref=kind)
    if kind == "chat" and not (0 < len(message["text"]) <= CHAT_MAX_CHARS):
        raise Refused("bad_field", _("聊天消息长度应为 1 到 2000 个字符。"), ref=kind)
    if kind == "admit" and not message.get("participant_id") and not message.get("all"):
        raise Refused("missing_field", _("缺少字段：%(field)s") % {"field": "participant_id"}, ref=kind)


def validate(message: dict, schema: dict) -> dict:
    """The declared fields of a well-formed message, cleaned; raises Refused otherwise."""
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in schema:
        raise Refused("unknown_type", _("未知的消息类型：%(type)s") % {"type": shown(kind)}, ref=shown(kind))
    required, optional = schema[kind]
    clean = {"type": kind}
    for field, field_kind in (*required.items(), *optional.items()):
        if field not in message:
            if field in required:
                raise Refused("missing_field", _("缺少字段：%(field)s") % {"field": field}, ref=kind)
            continue
        try:
            clean[field] = _clean(message[field], field_kind)
        except (ValueError, UnicodeError) as error:
            raise _field_error(field, error, kind) from None
    _check_rules(kind, clean, optional)
    return clean


def parse(raw: str | bytes | None, schema: dict) -> dict:
    """One inbound frame → a clean message of `schema`; raises Refused."""
    size = len(raw.encode("utf-8", "surrogatepass")) if isinstance(raw, str) else len(raw or b"")
    limit = conf.message_max_bytes()
    if size > limit:
        raise Refused("too_large", _("消息过大（上限 %(kb)d KB），已丢弃。") % {"kb": limit // 1024})
    try:
        message = json.loads(raw or "")
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, nesting too deep, a number too long
        raise Refused("bad_json", _("消息不是有效的 JSON。")) from None
    if not isinstance(message, dict):
        raise Refused("bad_message", _("消息必须是带 type 字段的 JSON 对象。"))
    return validate(message, schema)
