"""What submitting reads of a case, its row locked."""
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from bookings.models import MaterialRequirement
from reviews.models import Case
from reviews.selectors.materials import case_materials, case_missing_mandatory
from stations.models import StaffMembership


@dataclass(frozen=True)
class CaseToSubmit:
    """What submitting reads of a case, its row locked: the facts every check of case_submit needs."""

    case_id: int
    status: str
    submission_round: int
    first_submission: bool  # never submitted before (submitted_at is still empty)
    resident_id: int
    booked_by_id: int | None  # who made the case's booking (a resident for a family member), if any
    opened_unit_id: int
    form_data: dict
    form_fields: list
    actor_is_agent: bool  # the actor is an agent of the unit that opened the case
    materials_count: int  # the booking's materials and the ones attached to the case
    mandatory_missing: list[MaterialRequirement]  # the item's mandatory requirements none of those answers
    resident_data_open: bool  # a booking case, or the resident consented (Case.resident_data_open)


def case_to_submit(*, case_id: int, actor_id: int) -> CaseToSubmit | None:
    """The case's submission facts, its row locked until the transaction ends (call inside one): the case with
    its item, booking and the actor's right, then its materials and its item's checklist."""
    is_agent = StaffMembership.objects.filter(user_id=actor_id, unit_id=OuterRef("opened_unit_id"), is_agent=True)
    rows = list(Case.objects.select_for_update(of=("self",)).filter(pk=case_id).select_related("item", "booking")
                .annotate(actor_is_agent=Exists(is_agent)))
    if not rows:
        return None
    case = rows[0]
    materials = case_materials(case=case)
    return CaseToSubmit(
        case_id=case.pk, status=case.status, submission_round=case.submission_round,
        first_submission=case.submitted_at is None, resident_id=case.resident_id,
        booked_by_id=case.booking.booked_by_id if case.booking_id else None, opened_unit_id=case.opened_unit_id,
        form_data=case.form_data or {}, form_fields=case.item.form_fields or [], actor_is_agent=case.actor_is_agent,
        materials_count=len(materials), mandatory_missing=case_missing_mandatory(case=case, materials=materials),
        resident_data_open=case.resident_data_open)
