"""Linking a call to a case, or opening a case from an ad hoc call with a resident."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from calls import selectors
from calls.models import Call
from calls.services.common import lock_call_for
from config.errors import Conflict, Forbidden


def call_attach_case(*, call_id, actor, case_id: int) -> Call:
    """Link the call to an existing case the staff member may see."""
    from reviews.selectors import case_get_for_user

    with transaction.atomic():
        call = lock_call_for(call_id, actor)
        if not selectors.may_view(call=call, user=actor):
            raise Forbidden(_("您无权查看此通话。"))
        case_get_for_user(user=actor, case_id=case_id)  # NotFound for a case the actor may not see
        call.case_id = case_id
        call.save(update_fields=["case_id"])
    return call


def call_case_create(*, call_id, actor, item, form_data: dict | None = None) -> Call:
    """Turn an ad hoc call with a resident into a new draft case, opened at the calling unit."""
    from reviews.services import case_create

    with transaction.atomic():
        call = lock_call_for(call_id, actor)
        if not selectors.may_view(call=call, user=actor):
            raise Forbidden(_("您无权查看此通话。"))
        if call.case_id:
            raise Conflict(_("该通话已关联案件。"), code="case_exists", extra={"case_id": call.case_id})
        resident = (User.objects.filter(call_invitations__call=call, role=User.Role.RESIDENT).first()
                    if call.kind == Call.Kind.AD_HOC else None)
        if resident is None:
            raise Conflict(_("只有呼叫参保人的临时通话可以转为案件；预约视频请从预约建立案件。"), code="no_resident")
        case = case_create(actor=actor, resident=resident, item=item, unit_id=call.host_unit_id, form_data=form_data)
        call.case_id = case.pk
        call.save(update_fields=["case_id"])
    return call
