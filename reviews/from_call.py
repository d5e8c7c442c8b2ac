"""Cases from calls: link a call to a case the staff member may see, or open a case from an ad hoc call with a
resident. Services behind POST /api/v1/calls/{id}/case/ (reviews/call_case_api.py); reviews stands above calls."""
from django.db import transaction

from calls import selectors as call_selectors
from calls import services as call_services
from calls.models import Call
from reviews.models import ConsentVia
from reviews.selectors import case_get_for_user
from reviews.services import case_create


def case_link_to_call(*, call_id, actor, case_id: int) -> Call:
    """Link the call to an existing case the staff member may see."""
    with transaction.atomic():
        call = call_services.call_lock_for_case(call_id=call_id, actor=actor)
        case_get_for_user(user=actor, case_id=case_id)  # NotFound for a case the actor may not see
        return call_services.call_case_link(call=call, case_id=case_id)


def case_create_from_call(*, call_id, actor, item, form_data: dict | None = None) -> Call:
    """Turn an ad hoc call with a resident into a new draft case, opened at the calling unit."""
    with transaction.atomic():
        call = call_services.call_lock_for_case(call_id=call_id, actor=actor, new_case=True)
        resident = call_selectors.called_resident(call)
        # She spoke with this unit in this call: the case may show her data. A missed call grants nothing.
        spoke = call.participants.filter(user=resident, admitted_at__isnull=False).exists()
        case = case_create(actor=actor, resident=resident, item=item, unit_id=call.host_unit_id,
                           form_data=form_data, consent_via=ConsentVia.CALL if spoke else "")
        return call_services.call_case_link(call=call, case_id=case.pk)
