"""What submitting reads of a case, its row locked."""
import json
from dataclasses import dataclass

from django.db import connection

from bookings.models import Booking, Material, MaterialRequirement, ServiceItem
from reviews.models import Case, CaseMaterial
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
    mandatory_missing: int  # the item's mandatory requirements none of those materials answers
    resident_data_open: bool  # a booking case, or the resident consented (Case.resident_data_open)


# One statement for the lock and every check of a submission (the hot path of every case, see
# bench/routing.py): the case with its item's form, its booking's maker, whether the actor is an agent of the
# opening unit, its materials counted and the mandatory requirements they leave unanswered. Compiled through
# the ORM the same facts took four statements and most of a submission's CPU. The booking's materials and the
# attached ones are read apart (an OR of the two would scan every material). Plain SQL that PostgreSQL and
# SQLite both run; on SQLite (no FOR UPDATE) the IMMEDIATE transaction already holds the write lock.
_CASE_TO_SUBMIT_SQL = """
SELECT c.id, c.status, c.submission_round, c.submitted_at IS NULL, c.resident_id, booking.booked_by_id,
       c.opened_unit_id, c.form_data, item.form_fields,
       EXISTS (SELECT 1 FROM {membership} AS staff
               WHERE staff.user_id = %(actor_id)s AND staff.unit_id = c.opened_unit_id AND staff.is_agent),
       (SELECT COUNT(*) FROM {material} AS m WHERE m.booking_id = c.booking_id)
       + (SELECT COUNT(*) FROM {case_material} AS link JOIN {material} AS m ON m.id = link.material_id
          WHERE link.case_id = c.id AND (c.booking_id IS NULL OR m.booking_id <> c.booking_id)),
       (SELECT COUNT(*) FROM {requirement} AS requirement
        WHERE requirement.item_id = c.item_id AND requirement.mandatory
          AND NOT EXISTS (SELECT 1 FROM {material} AS m
                          WHERE m.booking_id = c.booking_id AND m.requirement_id = requirement.id)
          AND NOT EXISTS (SELECT 1 FROM {case_material} AS link JOIN {material} AS m ON m.id = link.material_id
                          WHERE link.case_id = c.id AND m.requirement_id = requirement.id)),
       c.booking_id IS NOT NULL OR c.consent_at IS NOT NULL
FROM {case} AS c
JOIN {item} AS item ON item.id = c.item_id
LEFT JOIN {booking} AS booking ON booking.id = c.booking_id
WHERE c.id = %(case_id)s
"""


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def case_to_submit(*, case_id: int, actor_id: int) -> CaseToSubmit | None:
    """The case's submission facts, its row locked until the transaction ends (call inside one)."""
    quote = connection.ops.quote_name
    tables = {"case": Case, "item": ServiceItem, "booking": Booking, "membership": StaffMembership,
              "material": Material, "requirement": MaterialRequirement, "case_material": CaseMaterial}
    names = {key: quote(model._meta.db_table) for key, model in tables.items()}
    sql = _CASE_TO_SUBMIT_SQL.format(**names)
    if connection.features.has_select_for_update_of:
        sql += "FOR UPDATE OF c\n"
    with connection.cursor() as cursor:
        cursor.execute(sql, {"case_id": case_id, "actor_id": actor_id})
        row = cursor.fetchone()
    if row is None:
        return None
    (pk, status, submission_round, first, resident_id, booked_by_id, opened_unit_id, form_data, form_fields,
     is_agent, materials_count, mandatory_missing, data_open) = row
    return CaseToSubmit(case_id=pk, status=status, submission_round=submission_round, first_submission=bool(first),
                        resident_id=resident_id, booked_by_id=booked_by_id, opened_unit_id=opened_unit_id,
                        form_data=_json(form_data) or {}, form_fields=_json(form_fields) or [],
                        actor_is_agent=bool(is_agent), materials_count=materials_count,
                        mandatory_missing=mandatory_missing, resident_data_open=bool(data_open))
