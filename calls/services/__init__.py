"""Writes to calls: the room (join, admit, leave, hang up), ringing and answering, invitations, the sweep.

Every function is one transaction that locks the call row first (fixed lock order: call, then its rows),
records what happened in CallEvent, and queues the socket messages it causes; they leave after the commit.
One module per sub-domain; the public functions are gathered here, so `calls.services.<name>` is the API.
"""
from calls.services.cases import call_case_link, call_lock_for_case
from calls.services.delivery import Outbox, deliver, unit_group, user_group
from calls.services.inbox import console_may_open, inbox_socket_close, inbox_socket_open, inbox_socket_touch
from calls.services.lifecycle import call_log_for_day, call_refresh, call_refresh_for_viewer, call_sweep
from calls.services.ringing import call_answer, call_invite, call_start
from calls.services.rooms import (
    booking_call_create,
    booking_call_open,
    call_hangup,
    call_room_disconnect,
    call_room_join,
    call_room_leave,
    participant_admit,
    participant_heartbeat,
    participant_hold,
    participant_media_state,
    room_peer_channels,
    room_peer_resync,
)

__all__ = [
    "booking_call_create",
    "booking_call_open",
    "user_group",
    "unit_group",
    "Outbox",
    "deliver",
    "call_room_join",
    "call_room_disconnect",
    "call_room_leave",
    "participant_heartbeat",
    "room_peer_channels",
    "room_peer_resync",
    "participant_admit",
    "participant_hold",
    "participant_media_state",
    "call_hangup",
    "call_start",
    "call_answer",
    "call_invite",
    "call_lock_for_case",
    "call_case_link",
    "call_sweep",
    "call_refresh",
    "call_refresh_for_viewer",
    "call_log_for_day",
    "inbox_socket_open",
    "inbox_socket_touch",
    "inbox_socket_close",
    "console_may_open",
]
