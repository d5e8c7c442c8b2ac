"""The routing policy: which unit and which reviewer decide a case. Pure functions over plain data, no database.

The bureau puts approval authority at the lowest level that may hold it:
- township items go to the resident's own township station when it has an on-duty reviewer and a seal,
  otherwise up a tier to the county workstation;
- county items go to the workstation of the resident's county;
- city items go to the city department that owns the item's category (the city centre if none does).
Inside the unit: the on-duty reviewer with the fewest open cases; none on duty leaves the case in the
unit's queue (reviewer None), claimable by any of its reviewers.
A unit that cannot seal (has_seal False) is passed over for the next one up the chain that can; only when none
can does the case stay with the first (it waits in that unit's queue rather than nowhere).
Escalation of an overdue case follows the same rule: it skips the units above that cannot seal, and when none of
them can it goes to the head of its own unit rather than to a unit where the decision could not be sealed.
"""
from dataclasses import dataclass, field
from enum import StrEnum


class Level(StrEnum):
    TOWNSHIP = "township"
    COUNTY = "county"
    CITY = "city"


class Reason(StrEnum):
    TOWNSHIP_STATION = "township_station"
    TOWNSHIP_UNKNOWN = "township_unknown"  # resident without a township: up to the county
    TOWNSHIP_NO_STATION = "township_no_station"
    TOWNSHIP_NO_REVIEWER = "township_no_reviewer"  # no on-duty reviewer at any station of the township
    TOWNSHIP_NO_SEAL = "township_no_seal"  # reviewers on duty, but no seal
    COUNTY_WORKSTATION = "county_workstation"
    COUNTY_UNKNOWN = "county_unknown"  # neither the resident nor the opening unit name a county
    COUNTY_NO_WORKSTATION = "county_no_workstation"
    COUNTY_NO_SEAL = "county_no_seal"  # the workstation cannot seal: up to the city
    CITY_DEPARTMENT = "city_department"
    CITY_CENTRE = "city_centre"  # no department owns the category
    CITY_NO_SEAL = "city_no_seal"  # the owning department cannot seal: the city centre
    RESUBMITTED = "resubmitted"  # back to the unit (and reviewer) that asked for more
    RESUBMITTED_NO_SEAL = "resubmitted_no_seal"  # the unit that asked for more can no longer seal: routed anew
    ESCALATED = "escalated"
    ESCALATED_NO_SEAL = "escalated_no_seal"  # the next unit up cannot seal: on to the one above it that can
    ESCALATED_TO_HEAD = "escalated_to_head"
    ESCALATED_TO_HEAD_NO_SEAL = "escalated_to_head_no_seal"  # no unit above can seal: the own unit's head


class UnitKind(StrEnum):
    CITY_CENTRE = "city_centre"
    CITY_DEPARTMENT = "city_department"
    COUNTY_WORKSTATION = "county_workstation"
    TOWNSHIP_STATION = "township_station"


TIER_OF_KIND = {
    UnitKind.TOWNSHIP_STATION: "township",
    UnitKind.COUNTY_WORKSTATION: "county",
    UnitKind.CITY_DEPARTMENT: "city",
    UnitKind.CITY_CENTRE: "city",
}


class NoRoute(Exception):
    """No unit at all can take the case (the organisation is incomplete)."""


@dataclass(frozen=True)
class Reviewer:
    user_id: int
    on_duty: bool = True
    open_cases: int = 0


@dataclass(frozen=True)
class UnitCandidate:
    unit_id: int
    kind: str
    county: str | None = None  # division code
    township: str | None = None  # division code
    reviewers: tuple[Reviewer, ...] = ()
    has_seal: bool = False
    categories: frozenset[str] = field(default_factory=frozenset)  # category codes a department owns
    heads: tuple[int, ...] = ()  # user ids of the unit's heads (StaffMembership.is_head)

    @property
    def on_duty(self) -> list[Reviewer]:
        return [r for r in self.reviewers if r.on_duty]

    @property
    def open_cases(self) -> int:
        return sum(r.open_cases for r in self.reviewers)


@dataclass(frozen=True)
class RoutingRequest:
    approval_level: str
    category: str
    county: str | None
    township: str | None
    units: tuple[UnitCandidate, ...]
    opened_unit_id: int | None = None  # preferred among equally eligible stations
    previous_unit_id: int | None = None  # a resubmitted case goes back where it was
    previous_reviewer_id: int | None = None


@dataclass(frozen=True)
class RoutingDecision:
    unit_id: int
    reviewer_id: int | None
    tier: str
    reason: str


def pick_reviewer(unit: UnitCandidate, *, prefer: int | None = None) -> int | None:
    """The on-duty reviewer with the fewest open cases (ties: lowest id); None leaves it in the unit's queue."""
    on_duty = unit.on_duty
    if prefer is not None and any(r.user_id == prefer for r in on_duty):
        return prefer
    if not on_duty:
        return None
    return min(on_duty, key=lambda r: (r.open_cases, r.user_id)).user_id


def _decision(unit: UnitCandidate, reason: str, *, prefer: int | None = None) -> RoutingDecision:
    return RoutingDecision(unit_id=unit.unit_id, reviewer_id=pick_reviewer(unit, prefer=prefer),
                           tier=TIER_OF_KIND[UnitKind(unit.kind)], reason=str(reason))


def _workstation(units, county: str | None) -> UnitCandidate | None:
    return next((u for u in units if u.kind == UnitKind.COUNTY_WORKSTATION and u.county == county), None)


def _city_unit(units, category: str) -> tuple[UnitCandidate, Reason]:
    department = next((u for u in sorted(units, key=lambda u: u.unit_id)
                       if u.kind == UnitKind.CITY_DEPARTMENT and category in u.categories), None)
    centre = next((u for u in units if u.kind == UnitKind.CITY_CENTRE), None)
    if department and (department.has_seal or centre is None or not centre.has_seal):
        return department, Reason.CITY_DEPARTMENT
    if centre:
        return centre, Reason.CITY_CENTRE if department is None else Reason.CITY_NO_SEAL
    raise NoRoute(f"no city unit for category {category}")


def _city_can_seal(units, category: str) -> bool:
    try:
        return _city_unit(units, category)[0].has_seal
    except NoRoute:
        return False


def _county_or_up(request: RoutingRequest, reason: Reason | None) -> RoutingDecision:
    if request.county is None:
        unit, _reason = _city_unit(request.units, request.category)
        return _decision(unit, Reason.COUNTY_UNKNOWN)
    workstation = _workstation(request.units, request.county)
    if workstation is None:
        unit, _reason = _city_unit(request.units, request.category)
        return _decision(unit, Reason.COUNTY_NO_WORKSTATION)
    if not workstation.has_seal and _city_can_seal(request.units, request.category):
        unit, _reason = _city_unit(request.units, request.category)
        return _decision(unit, Reason.COUNTY_NO_SEAL)
    return _decision(workstation, reason or Reason.COUNTY_WORKSTATION)


def route(request: RoutingRequest) -> RoutingDecision:
    """Decide the reviewing unit, the reviewer (or None: the unit's queue), the tier and why."""
    if request.previous_unit_id is not None:
        previous = next((u for u in request.units if u.unit_id == request.previous_unit_id), None)
        if previous is not None:
            if previous.has_seal:
                return _decision(previous, Reason.RESUBMITTED, prefer=request.previous_reviewer_id)
            routed = route(RoutingRequest(
                approval_level=request.approval_level, category=request.category, county=request.county,
                township=request.township, units=request.units, opened_unit_id=request.opened_unit_id))
            if routed.unit_id != previous.unit_id:
                return RoutingDecision(unit_id=routed.unit_id, reviewer_id=routed.reviewer_id, tier=routed.tier,
                                       reason=str(Reason.RESUBMITTED_NO_SEAL))
            return _decision(previous, Reason.RESUBMITTED, prefer=request.previous_reviewer_id)
    level = Level(request.approval_level)
    if level == Level.TOWNSHIP:
        if request.township is None:
            return _county_or_up(request, Reason.TOWNSHIP_UNKNOWN)
        stations = [u for u in request.units
                    if u.kind == UnitKind.TOWNSHIP_STATION and u.township == request.township]
        if not stations:
            return _county_or_up(request, Reason.TOWNSHIP_NO_STATION)
        staffed = [u for u in stations if u.on_duty]
        eligible = [u for u in staffed if u.has_seal]
        if eligible:
            # The station that opened the case first, then the least loaded one.
            best = min(eligible, key=lambda u: (u.unit_id != request.opened_unit_id, u.open_cases, u.unit_id))
            return _decision(best, Reason.TOWNSHIP_STATION)
        return _county_or_up(request, Reason.TOWNSHIP_NO_SEAL if staffed else Reason.TOWNSHIP_NO_REVIEWER)
    if level == Level.COUNTY:
        return _county_or_up(request, None)
    unit, reason = _city_unit(request.units, request.category)
    return _decision(unit, reason)


@dataclass(frozen=True)
class EscalationRequest:
    current_unit_id: int
    category: str
    units: tuple[UnitCandidate, ...]  # the current unit and the ones above it
    current_tier: str = ""
    current_reviewer_id: int | None = None


def _units_above(current: UnitCandidate, units, category: str) -> list[UnitCandidate]:
    """The units an overdue case may go up to, nearest first: the station's county workstation, then the city
    unit of the category (chosen as route() chooses it)."""
    kind = UnitKind(current.kind)
    above = []
    if kind == UnitKind.TOWNSHIP_STATION:
        workstation = _workstation(units, current.county)
        if workstation is not None:
            above.append(workstation)
    if kind in (UnitKind.TOWNSHIP_STATION, UnitKind.COUNTY_WORKSTATION):
        try:
            above.append(_city_unit(units, category)[0])
        except NoRoute:
            pass
    return above


def escalate(request: EscalationRequest) -> RoutingDecision | None:
    """The next holder of an overdue case; None when it already sits with the top unit's head.

    station → its county workstation → the city department owning the category → that unit's head.
    Every decision that closes a case is sealed, so, as in route(), a unit above that cannot seal is skipped;
    when none above can, the case goes to its own unit's head. Only a unit without a head still hands it to the
    next unit up, sealing or not: an overdue case must reach someone.
    """
    if request.current_tier == "head":
        return None
    current = next(u for u in request.units if u.unit_id == request.current_unit_id)
    above = _units_above(current, request.units, request.category)
    sealing = next((u for u in above if u.has_seal), None)
    if sealing is not None:
        return _decision(sealing, Reason.ESCALATED if sealing is above[0] else Reason.ESCALATED_NO_SEAL)
    # The top, or nobody above can seal: the unit's head (on duty or not: heads answer for overdue work).
    heads = sorted(h for h in current.heads if h != request.current_reviewer_id) or sorted(current.heads)
    if heads:
        return RoutingDecision(unit_id=current.unit_id, reviewer_id=heads[0], tier="head",
                               reason=str(Reason.ESCALATED_TO_HEAD_NO_SEAL if above else Reason.ESCALATED_TO_HEAD))
    if above:
        return _decision(above[0], Reason.ESCALATED)
    return None
