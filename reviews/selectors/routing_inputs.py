"""What routing and escalation read: the case waiting for routing and the candidate units."""
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

from bookings.models import Category, ServiceItem
from reviews import routing
from reviews.models import Case, CaseStatus
from signing.models import Seal
from signing.services import delegation_for
from stations.models import Division, StaffMembership, Unit

# The routing inputs of the candidate units in one statement: each unit left-joined to its reviewers, heads and
# seal keepers, each person's open cases counted by a subquery (index case(assignee, status)), and whether the unit
# has lost its seal (it has seals, none usable now: revoked or expired). Plain SQL that
# PostgreSQL and SQLite both run: this is the hot read of every routing, and compiling the same query through
# the ORM (an OR of four filters, a filtered relation, a subquery annotation) took more CPU than all the rest
# of a routing (bench/routing.py: the worker is the bottleneck). A unit is a candidate when it is active and is
# the city centre, the department owning the category, the county's workstation, a station of the township, or
# the unit named by `extra_unit` (a NULL matches none).
_CANDIDATES_SQL = """
SELECT unit.id, unit.kind, county.code, township.code,
       staff.user_id, staff.is_reviewer, staff.is_head, staff.is_seal_keeper, staff.on_duty,
       (SELECT COUNT(*) FROM {case} AS open_case
        WHERE open_case.assignee_id = staff.user_id AND open_case.status IN (%(assigned)s, %(in_review)s)),
       EXISTS (SELECT 1 FROM {seal} AS seal WHERE seal.unit_id = unit.id)
       AND NOT EXISTS (SELECT 1 FROM {seal} AS seal WHERE seal.unit_id = unit.id AND seal.status = %(active)s
                       AND seal.revoked_at IS NULL AND seal.valid_from <= %(now)s AND seal.valid_until > %(now)s)
FROM {unit} AS unit
LEFT JOIN {division} AS county ON county.id = unit.county_id
LEFT JOIN {division} AS township ON township.id = unit.township_id
LEFT JOIN {membership} AS staff
       ON staff.unit_id = unit.id AND (staff.is_reviewer OR staff.is_head OR staff.is_seal_keeper)
WHERE unit.active
  AND (unit.kind = %(centre)s
       OR (unit.kind = %(department)s AND unit.id = %(department_id)s)
       OR (unit.kind = %(workstation)s AND unit.county_id = %(county_id)s)
       OR (unit.kind = %(station)s AND unit.township_id = %(township_id)s)
       OR unit.id = %(extra_unit)s)
ORDER BY unit.id, staff.user_id
"""


def units_with_seal(unit_ids, *, item_code: str | None = None, keepers: set[int] | None = None) -> set[int]:
    """Units that can seal a decision on `item_code`.

    A seal keeper must be appointed (StaffMembership.is_seal_keeper). Where sealing is required, the unit also
    needs a usable seal (active, not revoked, in its validity), and a township station a delegation covering the
    item. (Where it is not, _candidates leaves out of `keepers` the units whose seals are all revoked or expired.)
    """
    if keepers is None:
        keepers = set(StaffMembership.objects.filter(unit_id__in=list(unit_ids), is_seal_keeper=True)
                      .values_list("unit_id", flat=True))
    if not settings.SEALING_REQUIRED:
        return keepers
    now = timezone.now()
    sealed = set(Seal.objects.filter(unit_id__in=keepers, status=Seal.Status.ACTIVE, revoked_at__isnull=True,
                                     valid_from__lte=now, valid_until__gt=now)
                 .order_by().values_list("unit_id", flat=True))
    if item_code:
        for station in Unit.objects.filter(pk__in=sealed, kind=Unit.Kind.TOWNSHIP_STATION):
            if delegation_for(unit=station, item_code=item_code) is None:
                sealed.discard(station.pk)
    return sealed


def _candidates_sql() -> str:
    quote = connection.ops.quote_name
    return _CANDIDATES_SQL.format(case=quote(Case._meta.db_table), unit=quote(Unit._meta.db_table),
                                  division=quote(Division._meta.db_table),
                                  membership=quote(StaffMembership._meta.db_table), seal=quote(Seal._meta.db_table))


def _candidates(*, department_id: int | None, county_id: int | None, township_id: int | None,
                extra_unit: int | None, item_code: str, category: str) -> tuple[routing.UnitCandidate, ...]:
    """The candidate units as routing inputs: reviewers on duty and their open cases, seal, heads (one query,
    seal lost, plus the seal check of units_with_seal when sealing is required)."""
    params = {"assigned": CaseStatus.ASSIGNED, "in_review": CaseStatus.IN_REVIEW,
              "centre": Unit.Kind.CITY_CENTRE, "department": Unit.Kind.CITY_DEPARTMENT,
              "workstation": Unit.Kind.COUNTY_WORKSTATION, "station": Unit.Kind.TOWNSHIP_STATION,
              "department_id": department_id, "county_id": county_id, "township_id": township_id,
              "extra_unit": extra_unit, "active": Seal.Status.ACTIVE,
              "now": connection.ops.adapt_datetimefield_value(timezone.now())}
    with connection.cursor() as cursor:
        cursor.execute(_candidates_sql(), params)
        rows = cursor.fetchall()
    units: dict[int, dict] = {}
    for (unit_id, kind, county, township, user_id, is_reviewer, is_head, is_keeper, on_duty, open_count,
         seal_lost) in rows:
        unit = units.setdefault(unit_id, {"kind": kind, "county": county, "township": township,
                                          "reviewers": [], "heads": [], "keeper": False, "lost": bool(seal_lost)})
        if user_id is None:
            continue  # a unit without reviewers, heads or seal keepers
        if is_reviewer:
            unit["reviewers"].append(routing.Reviewer(user_id=user_id, on_duty=bool(on_duty), open_cases=open_count))
        if is_head:
            unit["heads"].append(user_id)
        unit["keeper"] = unit["keeper"] or bool(is_keeper)
    # A unit that lost its seal cannot seal the decisions it is asked to confirm, even where unsealed ones are
    # allowed (signing would refuse at the last step, after the code was sent): no keeper counts there.
    keepers = {unit_id for unit_id, unit in units.items() if unit["keeper"] and not unit["lost"]}
    sealed = units_with_seal(list(units), item_code=item_code, keepers=keepers)
    return tuple(routing.UnitCandidate(
        unit_id=unit_id, kind=unit["kind"], county=unit["county"], township=unit["township"],
        reviewers=tuple(unit["reviewers"]), has_seal=unit_id in sealed,
        # Only the department owning the case's category is a candidate.
        categories=frozenset([category]) if unit["kind"] == Unit.Kind.CITY_DEPARTMENT else frozenset(),
        heads=tuple(unit["heads"])) for unit_id, unit in units.items())


@dataclass(frozen=True)
class CaseToRoute:
    """What routing reads of a case waiting for it, with its item, category and divisions."""

    case_id: int
    status: str
    submission_round: int
    opened_unit_id: int
    unit_id: int | None
    assignee_id: int | None
    county_id: int | None
    county: str | None  # division code
    township_id: int | None
    township: str | None  # division code
    item_code: str
    item_name: str
    approval_level: str
    time_limit_days: int
    category: str  # category code
    department_id: int | None  # the city department owning the category


_CASE_TO_ROUTE_SQL = """
SELECT c.id, c.status, c.submission_round, c.opened_unit_id, c.unit_id, c.assignee_id,
       c.county_id, county.code, c.township_id, township.code,
       item.code, item.name, item.approval_level, item.time_limit_days, category.code, category.owner_department_id
FROM {case} AS c
JOIN {item} AS item ON item.id = c.item_id
JOIN {category} AS category ON category.id = item.category_id
LEFT JOIN {division} AS county ON county.id = c.county_id
LEFT JOIN {division} AS township ON township.id = c.township_id
WHERE c.id = %(case_id)s AND c.submission_round = %(round)s AND c.status IN (%(submitted)s, %(resubmitted)s)
"""


def case_to_route(*, case_id: int, submission_round: int) -> CaseToRoute | None:
    """The case if it still waits for routing in this round, else None (one statement: see _CANDIDATES_SQL)."""
    quote = connection.ops.quote_name
    sql = _CASE_TO_ROUTE_SQL.format(case=quote(Case._meta.db_table), item=quote(ServiceItem._meta.db_table),
                                    category=quote(Category._meta.db_table), division=quote(Division._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"case_id": case_id, "round": submission_round, "submitted": CaseStatus.SUBMITTED,
                             "resubmitted": CaseStatus.RESUBMITTED})
        row = cursor.fetchone()
    return CaseToRoute(*row) if row else None


def routing_request_for(*, case: CaseToRoute) -> routing.RoutingRequest:
    previous_unit = case.unit_id if case.status == CaseStatus.RESUBMITTED else None
    units = _candidates(department_id=case.department_id, county_id=case.county_id, township_id=case.township_id,
                        extra_unit=previous_unit, item_code=case.item_code, category=case.category)
    return routing.RoutingRequest(
        approval_level=case.approval_level, category=case.category, county=case.county, township=case.township,
        units=units, opened_unit_id=case.opened_unit_id, previous_unit_id=previous_unit,
        previous_reviewer_id=case.assignee_id if previous_unit else None)


def escalation_request_for(*, case: Case) -> routing.EscalationRequest:
    """The current unit and the ones above it: its county's workstation, the owning department, the centre."""
    category = case.item.category
    current = Unit.objects.only("county").get(pk=case.unit_id)
    units = _candidates(department_id=category.owner_department_id, county_id=current.county_id, township_id=None,
                        extra_unit=current.pk, item_code=case.item.code, category=category.code)
    return routing.EscalationRequest(current_unit_id=current.pk, category=category.code, units=units,
                                     current_tier=case.tier, current_reviewer_id=case.assignee_id)
