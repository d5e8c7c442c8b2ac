"""Reads of calls: who may be in a room, who may call whom, waiting lists, call logs, ICE servers.

One module per sub-domain; the public names are gathered here, so `calls.selectors.<name>` is the API.
"""
from calls.selectors.calling import (
    CITY_KINDS,
    caller_unit,
    calling_rule_text,
    on_duty_staff_ids,
    resident_is_online,
    unit_may_call_resident,
    unit_may_call_unit,
)
from calls.selectors.ice import ice_servers, turn_credential
from calls.selectors.log import (
    call_detail,
    call_duration_seconds,
    call_list_for_day,
    call_outcome,
    called_resident,
    invitation_summary,
    may_make_case,
    participant_seconds,
    shown_name,
)
from calls.selectors.rooms import (
    CallOver,
    call_get,
    call_get_for_user,
    call_known_to,
    call_room_access,
    call_room_role,
    invitation_for,
    may_admit,
    may_hang_up,
    may_view,
    participant_public,
    present_participants,
)
from calls.selectors.waiting import _waiting_rows, booking_materials_status, queue_status, waiting_list

__all__ = [
    "CITY_KINDS",
    "CallOver",
    "_waiting_rows",
    "booking_materials_status",
    "call_detail",
    "call_duration_seconds",
    "call_get",
    "call_get_for_user",
    "call_known_to",
    "call_list_for_day",
    "call_outcome",
    "call_room_access",
    "call_room_role",
    "called_resident",
    "caller_unit",
    "calling_rule_text",
    "ice_servers",
    "invitation_for",
    "invitation_summary",
    "may_admit",
    "may_hang_up",
    "may_make_case",
    "may_view",
    "on_duty_staff_ids",
    "participant_public",
    "participant_seconds",
    "present_participants",
    "queue_status",
    "resident_is_online",
    "shown_name",
    "turn_credential",
    "unit_may_call_resident",
    "unit_may_call_unit",
    "waiting_list",
]
