"""A call's link to a review case. Opening or finding the case is the reviews app's business
(reviews/from_call.py), which calls these inside its own transaction: calls never imports reviews."""
from django.utils.translation import gettext as _

from calls import selectors
from calls.models import Call
from calls.services.common import lock_call_for
from core.errors import Conflict


def call_lock_for_case(*, call_id, actor, new_case: bool = False) -> Call:
    """The call row, locked, for a staff member who may view it (404 to a stranger, 403 to a party who may not).
    `new_case`: a case is to be opened from the call, so it must not have one and must have rung a resident.
    Call inside a transaction."""
    call = lock_call_for(call_id, actor)
    selectors.call_view_check(call=call, user=actor)
    if new_case and call.case_id:
        raise Conflict(_("该通话已关联案件。"), code="case_exists", extra={"case_id": call.case_id})
    if new_case and selectors.called_resident(call) is None:
        raise Conflict(_("只有呼叫参保人的临时通话可以转为案件；预约视频请从预约建立案件。"), code="no_resident")
    return call


def call_case_link(*, call: Call, case_id: int) -> Call:
    """Record the case on a call locked by call_lock_for_case."""
    call.case_id = case_id
    call.save(update_fields=["case_id"])
    return call
