"""What routing and escalation read: the case waiting for routing and the candidate units."""
import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from reviews import routing
from reviews.models import OPEN_REVIEW_STATUSES, ROUTABLE_STATUSES, Case, CaseStatus
from signing.models import Seal
from signing.selectors import delegation_for
from stations.models import StaffMembership, Unit


def _usable_seals(now: datetime.datetime) -> QuerySet[Seal]:
    """Seals that may seal at `now`: active, not revoked, within their validity."""
    return Seal.objects.filter(status=Seal.Status.ACTIVE, revoked_at__isnull=True, valid_from__lte=now,
                               valid_until__gt=now)


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
    sealed = set(_usable_seals(now).filter(unit_id__in=keepers).order_by().values_list("unit_id", flat=True))
    if item_code:
        for station in Unit.objects.filter(pk__in=sealed, kind=Unit.Kind.TOWNSHIP_STATION):
            if delegation_for(unit=station, item_code=item_code) is None:
                sealed.discard(station.pk)
    return sealed


def _candidate_units_q(*, department_id: int | None, county_id: int | None, township_id: int | None,
                       extra_unit: int | None) -> Q:
    """A candidate is the city centre, the department owning the category, the county's workstation, a station of
    the township, or `extra_unit`; a None names none (never "the units without a county")."""
    where = Q(kind=Unit.Kind.CITY_CENTRE)
    for kind, field, value in ((Unit.Kind.CITY_DEPARTMENT, "pk", department_id),
                               (Unit.Kind.COUNTY_WORKSTATION, "county_id", county_id),
                               (Unit.Kind.TOWNSHIP_STATION, "township_id", township_id)):
        if value is not None:
            where |= Q(kind=kind, **{field: value})
    if extra_unit is not None:
        where |= Q(pk=extra_unit)
    return where


def _candidate_units(where: Q) -> list[Unit]:
    """The active units matching `where`, with their division codes, whether they have seals and a usable one, and
    in `routing_staff` their reviewers, heads and seal keepers, each with `open_cases` (index case(assignee,
    status)): two queries."""
    open_cases = (Case.objects.filter(assignee_id=OuterRef("user_id"), status__in=OPEN_REVIEW_STATUSES).order_by()
                  .values("assignee_id").annotate(count=Count("pk")).values("count"))
    staff = (StaffMembership.objects.filter(Q(is_reviewer=True) | Q(is_head=True) | Q(is_seal_keeper=True))
             .annotate(open_cases=Coalesce(Subquery(open_cases), 0)).order_by("user_id"))
    now = timezone.now()
    return list(Unit.objects.filter(where, active=True)
                .annotate(county_code=F("county__code"), township_code=F("township__code"),
                          has_seals=Exists(Seal.objects.filter(unit=OuterRef("pk"))),
                          has_usable_seal=Exists(_usable_seals(now).filter(unit=OuterRef("pk"))))
                .prefetch_related(Prefetch("memberships", queryset=staff, to_attr="routing_staff"))
                .order_by("pk"))


def _candidates(*, department_id: int | None, county_id: int | None, township_id: int | None,
                extra_unit: int | None, item_code: str, category: str) -> tuple[routing.UnitCandidate, ...]:
    """The candidate units as routing inputs: reviewers on duty and their open cases, seal, heads."""
    units = _candidate_units(_candidate_units_q(department_id=department_id, county_id=county_id,
                                                township_id=township_id, extra_unit=extra_unit))
    # A unit that lost its seal (it has seals, none usable now) cannot seal the decisions it is asked to confirm,
    # even where unsealed ones are allowed (signing would refuse at the last step, after the code was sent): no
    # keeper counts there.
    keepers = {unit.pk for unit in units if any(member.is_seal_keeper for member in unit.routing_staff)
               and not (unit.has_seals and not unit.has_usable_seal)}
    sealed = units_with_seal([unit.pk for unit in units], item_code=item_code, keepers=keepers)
    return tuple(routing.UnitCandidate(
        unit_id=unit.pk, kind=unit.kind, county=unit.county_code, township=unit.township_code,
        reviewers=tuple(routing.Reviewer(user_id=member.user_id, on_duty=member.on_duty,
                                         open_cases=member.open_cases)
                        for member in unit.routing_staff if member.is_reviewer),
        has_seal=unit.pk in sealed,
        # Only the department owning the case's category is a candidate.
        categories=frozenset([category]) if unit.kind == Unit.Kind.CITY_DEPARTMENT else frozenset(),
        heads=tuple(member.user_id for member in unit.routing_staff if member.is_head)) for unit in units)


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


# CaseToRoute's fields in order, as the ORM names them.
_TO_ROUTE_FIELDS = ("pk", "status", "submission_round", "opened_unit_id", "unit_id", "assignee_id",
                    "county_id", "county__code", "township_id", "township__code",
                    "item__code", "item__name", "item__approval_level", "item__time_limit_days",
                    "item__category__code", "item__category__owner_department_id")


def case_to_route(*, case_id: int, submission_round: int) -> CaseToRoute | None:
    """The case if it still waits for routing in this round, else None (one query)."""
    rows = list(Case.objects.filter(pk=case_id, submission_round=submission_round, status__in=ROUTABLE_STATUSES)
                .values_list(*_TO_ROUTE_FIELDS))
    return CaseToRoute(*rows[0]) if rows else None


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
