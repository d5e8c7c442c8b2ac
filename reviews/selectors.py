"""Reads of cases: who may see what, the reviewer's queue, routing inputs, materials and the statistics."""
import datetime
import json
import statistics
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, connections
from django.db.models import (
    Aggregate,
    Avg,
    CharField,
    Count,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as Switch
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import mask_name
from bookings import selectors as booking_selectors
from bookings.models import Booking, Category, Material, MaterialRequirement, ServiceItem
from calls.models import Call, Participant
from core.db import replica
from core.errors import NotFound
from reviews import routing, sla
from reviews.models import OPEN_REVIEW_STATUSES, Case, CaseMaterial, CaseStatus
from signing.models import Seal
from signing.services import delegation_for
from stations.models import Closure, Division, StaffMembership, Unit
from stations.selectors import user_unit_ids


def bureau_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# --- Who sees what --------------------------------------------------------------------------

def _is_admin(user) -> bool:
    return user.role == User.Role.ADMINISTRATOR or user.is_superuser


def case_visible_q(user) -> Q:
    """Cases a user may see: residents their own; staff the cases routed to (or opened at) their units."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    if user.role == User.Role.RESIDENT:
        # Their own cases, and those of a booking they made for a family member.
        return Q(resident=user) | Q(booking__booked_by=user)
    if _is_admin(user):
        return Q()
    reviewer_units = user_unit_ids(user=user, reviewer=True)
    agent_units = user_unit_ids(user=user, agent=True)
    return (Q(unit_id__in=reviewer_units) | Q(routings__unit_id__in=reviewer_units)
            | Q(escalations__from_unit_id__in=reviewer_units) | Q(opened_unit_id__in=agent_units)
            | Q(assignee=user))


def case_list_for_user(*, user, status: str | None = None, resident_id: int | None = None,
                       undecided: bool = False) -> QuerySet[Case]:
    ids = Case.objects.filter(case_visible_q(user)).values("pk")
    cases = Case.objects.filter(pk__in=ids).select_related("item", "unit", "opened_unit", "assignee", "resident")
    if status:
        cases = cases.filter(status=status)
    if resident_id is not None:
        cases = cases.filter(resident_id=resident_id)
    if undecided:
        cases = cases.exclude(status__in=(CaseStatus.APPROVED, CaseStatus.REJECTED))
    return cases.order_by("-created_at", "-pk")


# What a case's detail shows with it.
CASE_DETAIL_RELATED = ("item__category", "unit", "opened_unit", "assignee", "resident", "booking", "county", "township")


def _only_row(queryset: QuerySet):
    """The one row of a primary-key read, or None. Not .get() or .first(): their LIMIT has PostgreSQL plan the
    ten joins of the detail's select_related for a fraction of the rows as well, about 8 ms of planning per
    read instead of 1.7 (every case API call reads the case so)."""
    rows = list(queryset)
    return rows[0] if rows else None


def case_get_for_user(*, user, case_id: int) -> Case:
    """The case if `user` may see it; NotFound otherwise (others' cases do not exist for them)."""
    case = _only_row(Case.objects.filter(pk=case_id).filter(pk__in=Case.objects.filter(case_visible_q(user))
                                                            .values("pk"))
                     .select_related(*CASE_DETAIL_RELATED).order_by())
    if case is None:
        raise NotFound(_("找不到该案件。"))
    return case


def case_row_for_user(*, user, case_id: int) -> Case:
    """The case's own row (no related rows) if `user` may see it, NotFound otherwise: for an action whose
    service reads what it needs itself (submission)."""
    case = _only_row(Case.objects.filter(pk=case_id)
                     .filter(pk__in=Case.objects.filter(case_visible_q(user)).values("pk")).order_by())
    if case is None:
        raise NotFound(_("找不到该案件。"))
    return case


def is_reviewer_of(*, user, unit_id: int | None) -> bool:
    if unit_id is None:
        return False
    return StaffMembership.objects.filter(user=user, unit_id=unit_id, is_reviewer=True).exists()


def is_agent_of(*, user, unit_id: int) -> bool:
    return StaffMembership.objects.filter(user=user, unit_id=unit_id, is_agent=True).exists()


def sla_state_expression(now: datetime.datetime):
    return Switch(
        When(due_at__isnull=True, then=Value("")),
        When(due_at__lte=now, then=Value("overdue")),
        When(warn_at__lte=now, then=Value("due_soon")),
        default=Value("on_time"),
        output_field=CharField(),
    )


def review_queue(*, user, status: str | None = None, sla_state: str | None = None,
                 scope: str | None = None) -> QuerySet[Case]:
    """The reviewer's desk: cases assigned to me and my units' unassigned ones, soonest deadline first."""
    now = timezone.now()
    units = user_unit_ids(user=user, reviewer=True)
    mine = Q(assignee=user)
    unit_queue = Q(unit_id__in=units, assignee__isnull=True)
    where = mine if scope == "mine" else unit_queue if scope == "unit" else (mine | unit_queue)
    cases = (Case.objects.filter(where).filter(unit_id__in=units)
             .annotate(sla_state=sla_state_expression(now))
             .select_related("item", "unit", "assignee", "resident"))
    cases = cases.filter(status=status) if status else cases.filter(status__in=OPEN_REVIEW_STATUSES)
    if sla_state:
        cases = cases.filter(sla_state=sla_state)
    return cases.order_by(F("due_at").asc(nulls_last=True), "pk")


def case_sla_state(case: Case, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    if case.due_at is None:
        return ""
    if case.due_at <= now:
        return "overdue"
    if case.warn_at and case.warn_at <= now:
        return "due_soon"
    return "on_time"


# --- Materials ------------------------------------------------------------------------------

def _case_materials_q(case: Case) -> Q:
    where = Q(case_links__case=case)
    if case.booking_id:
        where |= Q(booking_id=case.booking_id)
    return where


def case_materials(*, case: Case) -> list[Material]:
    """The booking's materials plus those attached to the case, oldest first."""
    return list(Material.objects.filter(_case_materials_q(case)).distinct().select_related("requirement")
                .order_by("uploaded_at", "pk"))


def case_missing_mandatory(*, case: Case, materials: list[Material] | None = None) -> list[MaterialRequirement]:
    materials = case_materials(case=case) if materials is None else materials
    return missing_mandatory(materials=materials,
                             requirements=case.item.requirements.filter(mandatory=True).order_by("sort"))


def missing_mandatory(*, materials, requirements) -> list[MaterialRequirement]:
    """The mandatory ones of `requirements` that none of `materials` answers (the bookings rule)."""
    return booking_selectors.missing_mandatory(requirements=requirements, materials=materials)


def case_missing_requested(*, case: Case, since: datetime.datetime) -> list[MaterialRequirement]:
    """Materials the reviewer asked for that have not arrived since they were asked for."""
    codes = list(case.requested_materials or [])
    if not codes:
        return []
    where = Q(case_links__case=case, case_links__added_at__gte=since)
    if case.booking_id:
        where |= Q(booking_id=case.booking_id, uploaded_at__gte=since)
    arrived = set(Material.objects.filter(where, requirement__code__in=codes)
                  .values_list("requirement__code", flat=True))
    return list(case.item.requirements.filter(code__in=[c for c in codes if c not in arrived]).order_by("sort"))


# --- Submission inputs ------------------------------------------------------------------------

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


def case_resident_name(case: Case) -> str:
    """Her name as the case shows it: masked on a walk-in case until she consents."""
    return case.resident.real_name if case.resident_data_open else mask_name(case.resident.real_name)


def in_live_call_together(*, resident_id: int, staff_id: int, unit_id: int) -> bool:
    """Whether the resident and the staff member are both admitted, right now, to a live call of `unit_id`."""
    admitted = Participant.State.ADMITTED
    return (Call.objects.filter(status=Call.Status.ACTIVE, host_unit_id=unit_id)
            .filter(participants__user_id=resident_id, participants__state=admitted)
            .filter(participants__user_id=staff_id, participants__state=admitted).exists())


def material_readable_by_case_reviewer(user, material: Material) -> bool:
    """Hook for bookings: a material is readable by the reviewers (and agents) of a case that holds it."""
    if not user.is_authenticated or user.role == User.Role.RESIDENT:
        return False
    cases = Case.objects.filter(Q(booking_id=material.booking_id) | Q(attached_materials__material=material))
    return cases.filter(case_visible_q(user)).exists()


# --- Routing inputs -------------------------------------------------------------------------

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


# Plain SQL: read at every routing (the deadline), where the ORM's compiling cost more than the query.
_CLOSED_DAYS_SQL = """
SELECT closure.date FROM {closure} AS closure
WHERE (closure.unit_id IS NULL OR closure.unit_id = %(unit_id)s) AND closure.date BETWEEN %(first)s AND %(last)s
"""


def closed_days(*, unit_id: int | None, date_from: datetime.date, date_to: datetime.date) -> set[datetime.date]:
    """Public holidays and the unit's own closures in the range."""
    sql = _CLOSED_DAYS_SQL.format(closure=connection.ops.quote_name(Closure._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"unit_id": unit_id, "first": date_from, "last": date_to})
        return {day if isinstance(day, datetime.date) else datetime.date.fromisoformat(day)
                for (day,) in cursor.fetchall()}


def deadline_for(*, unit_id: int, start: datetime.datetime, days: int) -> tuple[datetime.datetime, datetime.datetime]:
    """(warn_at, due_at) for `days` working days from `start` at the unit."""
    tz = bureau_tz()
    first, last = sla.closed_days_span(start.astimezone(tz), days)
    closed = closed_days(unit_id=unit_id, date_from=first, date_to=last)
    return sla.deadline_window(start, days, closed=closed, tz=tz, warn_fraction=settings.REVIEWS_WARN_PERCENT / 100)


def working_days_between(*, unit_id: int | None, start: datetime.datetime, end: datetime.datetime) -> float:
    tz = bureau_tz()
    closed = closed_days(unit_id=unit_id, date_from=start.astimezone(tz).date(), date_to=end.astimezone(tz).date())
    return sla.working_seconds_between(start, end, closed=closed, tz=tz) / sla.DAY_SECONDS


# --- Statistics -----------------------------------------------------------------------------

class Percentile(Aggregate):
    """PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


STAT_GROUPS = {
    "item": ("item_id", "item__code", "item__name"),
    "unit": ("unit_id", "unit__code", "unit__name"),
    "county": ("county_id", "county__code", "county__name"),
}


def _percentiles_python(cases: QuerySet[Case], key: str) -> dict:
    values: dict = {}
    for group, days in cases.filter(processing_days__isnull=False).values_list(key, "processing_days"):
        values.setdefault(group, []).append(days)
    result = {}
    for group, days in values.items():
        days.sort()
        if len(days) == 1:
            result[group] = (days[0], days[0])
            continue
        cuts = statistics.quantiles(days, n=100, method="inclusive")
        result[group] = (statistics.median(days), cuts[89])
    return result


def case_statistics(*, date_from: datetime.date | None = None, date_to: datetime.date | None = None) -> dict:
    """Per service item, reviewing unit and county: cases, median / p90 processing time (working days) against
    the promised limit, SLA compliance, escalations, materials per case."""
    cases = Case.objects.using(replica()).exclude(status=CaseStatus.DRAFT)
    if date_from:
        cases = cases.filter(submitted_at__date__gte=date_from)
    if date_to:
        cases = cases.filter(submitted_at__date__lte=date_to)
    postgres = connections[replica()].vendor == "postgresql"
    result = {}
    for name, (key, code, label) in STAT_GROUPS.items():
        aggregates = {
            "cases": Count("pk", distinct=True),
            "decided": Count("pk", filter=Q(decided_at__isnull=False), distinct=True),
            "on_time": Count("pk", filter=Q(met_deadline=True), distinct=True),
            "limit_days": Avg("item__time_limit_days"),
            "materials_per_case": Avg("materials_count"),
        }
        if postgres:
            aggregates["median_days"] = Percentile("processing_days", 0.5)
            aggregates["p90_days"] = Percentile("processing_days", 0.9)
        rows = list(cases.exclude(**{f"{key}__isnull": True}).values(key, code, label).annotate(**aggregates)
                    .order_by(code))
        escalations = dict(cases.exclude(**{f"{key}__isnull": True}).values(key)
                           .annotate(n=Count("escalations")).values_list(key, "n"))
        fallback = {} if postgres else _percentiles_python(cases, key)
        out = []
        for row in rows:
            median, p90 = ((row["median_days"], row["p90_days"]) if postgres
                           else fallback.get(row[key], (None, None)))
            limit = row["limit_days"]
            out.append({
                "id": row[key], "code": row[code], "name": row[label],
                "cases": row["cases"], "decided": row["decided"],
                "median_days": _round(median), "p90_days": _round(p90),
                "limit_days": _round(limit),
                "median_vs_limit": _round(median / limit) if median is not None and limit else None,
                "sla_compliance_pct": _round(100.0 * row["on_time"] / row["decided"]) if row["decided"] else None,
                "escalations": escalations.get(row[key], 0),
                "materials_per_case": _round(row["materials_per_case"]),
            })
        result[f"by_{name}"] = out
    return result


def _round(value, digits: int = 2):
    return None if value is None else round(float(value), digits)


def case_get_for_user_unchecked(*, case_id: int) -> Case:
    """The case with what its detail shows; only after the caller has checked access."""
    case = _only_row(Case.objects.filter(pk=case_id).select_related(*CASE_DETAIL_RELATED).order_by())
    if case is None:
        raise Case.DoesNotExist(f"case {case_id}")
    return case
