"""Reads of the organisation."""
import math

from django.db.models import QuerySet

from core.db import replica
from stations.models import Closure, Division, StaffMembership, Unit


def unit_list(*, kind: str | None = None, county_code: str | None = None, active_only: bool = True) -> QuerySet[Unit]:
    units = Unit.objects.using(replica()).select_related("county", "township", "parent")
    if active_only:
        units = units.filter(active=True)
    if kind:
        units = units.filter(kind=kind)
    if county_code:
        units = units.filter(county__code=county_code)
    return units.order_by("code")


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def units_nearest(units: QuerySet[Unit], *, lat: float, lng: float) -> list[Unit]:
    located = [u for u in units if u.latitude is not None and u.longitude is not None]
    for unit in located:
        unit.distance_km = round(distance_km(lat, lng, unit.latitude, unit.longitude), 2)
    return sorted(located, key=lambda u: u.distance_km)


def unit_search(*, kind: str | None = None, county: str | None = None,
                near: tuple[float, float] | None = None) -> QuerySet[Unit] | list[Unit]:
    """The public directory: active units, by kind and county code; with `near` (lat, lng), nearest first."""
    units = unit_list(kind=kind, county_code=county)
    return units_nearest(units, lat=near[0], lng=near[1]) if near else units


def division_list(*, parent_code: str | None = None, level: str | None = None) -> QuerySet[Division]:
    divisions = Division.objects.using(replica()).all()
    if parent_code:
        divisions = divisions.filter(parent__code=parent_code)
    if level:
        divisions = divisions.filter(level=level)
    return divisions.order_by("code")


def closed_dates(*, unit: Unit, date_from, date_to) -> set:
    """Days in [date_from, date_to] on which the unit is closed (its own closures and public holidays)."""
    rows = Closure.objects.filter(date__range=(date_from, date_to)).filter(unit__isnull=True) | Closure.objects.filter(
        date__range=(date_from, date_to), unit=unit
    )
    return set(rows.values_list("date", flat=True))


def memberships_of(*, user, agent: bool = False, reviewer: bool = False) -> QuerySet[StaffMembership]:
    """The user's memberships with their units; `agent` / `reviewer`: only those with that right."""
    memberships = StaffMembership.objects.filter(user=user).select_related("unit").order_by("unit__code")
    if agent:
        memberships = memberships.filter(is_agent=True)
    if reviewer:
        memberships = memberships.filter(is_reviewer=True)
    return memberships


def user_unit_ids(*, user, agent: bool = False, reviewer: bool = False) -> set[int]:
    memberships = StaffMembership.objects.filter(user=user)
    if agent:
        memberships = memberships.filter(is_agent=True)
    if reviewer:
        memberships = memberships.filter(is_reviewer=True)
    return set(memberships.values_list("unit_id", flat=True))
