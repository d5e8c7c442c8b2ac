"""Writes to the organisation: loading the shipped directory, staff membership."""
import datetime
import json
from pathlib import Path

from django.db import transaction

from core.dataload import LoadReport, upsert
from stations.models import Closure, Division, OpeningHours, StaffMembership, Unit

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_HOURS = [(datetime.time(8, 30), datetime.time(12, 0)), (datetime.time(13, 30), datetime.time(17, 30))]
WORKDAYS = range(0, 5)


def _unit_values(entry: dict, *, kind: str, parent: Unit | None, county=None, township=None) -> dict:
    return {
        "kind": kind,
        "name": entry["name"],
        "name_en": entry.get("name_en", ""),
        "parent": parent,
        "county": county,
        "township": township,
        "address": entry.get("address", ""),
        "latitude": entry.get("lat"),
        "longitude": entry.get("lng"),
        "phone": entry.get("phone", ""),
        "video_lines": entry.get("video_lines", 1),
        "is_demo": bool(entry.get("demo", False)),
        "location_approximate": bool(entry.get("approximate", True)),
    }


def _default_hours(unit: Unit, report: LoadReport) -> None:
    """Weekday office hours for a unit that has none yet; hours changed in the admin are kept."""
    if unit.kind not in Unit.FRONT_OFFICE_KINDS or unit.opening_hours.exists():
        return
    for weekday in WORKDAYS:
        for opens, closes in DEFAULT_HOURS:
            OpeningHours.objects.create(unit=unit, weekday=weekday, opens=opens, closes=closes)
            report.count("OpeningHours", "created")


@transaction.atomic
def organisation_load(*, data: dict, township_names: dict[str, tuple[str, str]]) -> LoadReport:
    """Load the directory. `township_names` maps a township code to (name, county code) from the divisions file."""
    report = LoadReport()
    centre_entry = data["city_centre"]
    centre = upsert(Unit, lookup={"code": centre_entry["code"]},
                    values=_unit_values(centre_entry, kind=Unit.Kind.CITY_CENTRE, parent=None), report=report)
    for dept in data["departments"]:
        dept_entry = {**centre_entry, **dept, "address": centre_entry.get("address", "")}
        upsert(Unit, lookup={"code": dept["code"]},
               values=_unit_values(dept_entry, kind=Unit.Kind.CITY_DEPARTMENT, parent=centre), report=report)
    counties, workstations = {}, {}
    for county_entry in data["counties"]:
        county = upsert(Division, lookup={"code": county_entry["code"]},
                        values={"name": county_entry["name"], "level": Division.Level.COUNTY, "parent": None},
                        report=report)
        counties[county.code] = county
        ws_entry = county_entry["workstation"]
        workstation = upsert(Unit, lookup={"code": ws_entry["code"]},
                             values=_unit_values(ws_entry, kind=Unit.Kind.COUNTY_WORKSTATION, parent=centre,
                                                 county=county), report=report)
        workstations[county.code] = workstation
        _default_hours(workstation, report)
    townships = {}
    for code, (name, county_code) in sorted(township_names.items()):
        townships[code] = upsert(Division, lookup={"code": code},
                                 values={"name": name, "level": Division.Level.TOWNSHIP,
                                         "parent": counties[county_code]}, report=report)
    for entry in data["stations"]:
        county_code = entry["county_code"]
        station = upsert(Unit, lookup={"code": entry["code"]},
                         values=_unit_values(entry, kind=Unit.Kind.TOWNSHIP_STATION,
                                             parent=workstations[county_code], county=counties[county_code],
                                             township=townships[entry["division_code"]]), report=report)
        _default_hours(station, report)
    return report


@transaction.atomic
def holidays_load(*, holidays: list[list[str]]) -> LoadReport:
    report = LoadReport()
    for day, reason in holidays:
        upsert(Closure, lookup={"unit": None, "date": datetime.date.fromisoformat(day)}, values={"reason": reason},
               report=report)
    return report


def membership_grant(*, user, unit: Unit, is_agent=False, is_reviewer=False, is_seal_keeper=False,
                     is_head=False) -> StaffMembership:
    membership, _ = StaffMembership.objects.update_or_create(
        user=user, unit=unit,
        defaults={"is_agent": is_agent, "is_reviewer": is_reviewer, "is_seal_keeper": is_seal_keeper,
                  "is_head": is_head},
    )
    return membership


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
