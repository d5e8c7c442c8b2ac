"""What the booking page carries in its own HTML so its first step needs no request (issue 22).

The resident's own county and township from her profile, that county's townships, and the stations of her
township with the county workstation, in the fields the page's script reads from GET /api/v1/divisions/ and
/api/v1/units/. Kept small: every byte of the page waits on a slow line. Another township's stations are asked
for when she picks it. Empty for a resident without a home county: the page then asks as before.
"""
from bookings.selectors import bookable_unit_list
from stations import selectors as station_selectors
from stations.models import Unit


def _unit_row(unit: Unit) -> dict:
    return {"id": unit.pk, "kind": unit.kind, "name": unit.name, "name_en": unit.name_en,
            "county_name": unit.county.name if unit.county else None,
            "township": unit.township.code if unit.township else None,
            "township_name": unit.township.name if unit.township else None, "address": unit.address}


def booking_start(*, user) -> dict:
    county = getattr(user, "home_county", None)
    if county is None:
        return {}
    township = getattr(user, "home_township", None)
    township_code = township.code if township is not None and township.parent_id == county.pk else ""
    townships = station_selectors.division_list(parent_code=county.code).values_list("code", "name")
    units = bookable_unit_list(county_code=county.code, township_code=township_code)
    return {"county": county.code, "township": township_code,
            "townships": [{"code": code, "name": name} for code, name in townships],
            "units": [_unit_row(unit) for unit in units]}
