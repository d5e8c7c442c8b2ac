"""The routing policy, table-tested as a pure function (no database)."""
import pytest

from reviews.routing import (
    EscalationRequest,
    NoRoute,
    Reason,
    Reviewer,
    RoutingDecision,
    RoutingRequest,
    UnitCandidate,
    escalate,
    pick_reviewer,
    route,
)

COUNTY, OTHER_COUNTY = "371702", "371703"
TOWN, TOWN_B = "371702001", "371702002"
ON, OFF = True, False


def station(unit_id, *, township=TOWN, county=COUNTY, reviewers=(), seal=True, heads=()):
    return UnitCandidate(unit_id=unit_id, kind="township_station", county=county, township=township,
                         reviewers=tuple(reviewers), has_seal=seal, heads=tuple(heads))


def workstation(unit_id, *, county=COUNTY, reviewers=(), seal=True, heads=()):
    return UnitCandidate(unit_id=unit_id, kind="county_workstation", county=county, reviewers=tuple(reviewers),
                         has_seal=seal, heads=tuple(heads))


def department(unit_id, categories, *, reviewers=(), heads=()):
    return UnitCandidate(unit_id=unit_id, kind="city_department", reviewers=tuple(reviewers), has_seal=True,
                         categories=frozenset(categories), heads=tuple(heads))


CENTRE = UnitCandidate(unit_id=1, kind="city_centre", reviewers=(Reviewer(900),), heads=(901,))
DEPT_C01 = department(2, {"C01", "C02"}, reviewers=[Reviewer(201, ON, 3), Reviewer(202, ON, 1)], heads=(203,))
DEPT_C11 = department(3, {"C11"}, reviewers=[Reviewer(301, OFF, 0)], heads=(302,))
WS = workstation(10, reviewers=[Reviewer(101, ON, 5), Reviewer(102, ON, 2), Reviewer(103, OFF, 0)], heads=(104,))
WS_EMPTY = workstation(11, county=OTHER_COUNTY, reviewers=[Reviewer(111, OFF, 0)])
ST_OK = station(20, reviewers=[Reviewer(21, ON, 4), Reviewer(22, ON, 4)], heads=(23,))
ST_OK_BUSY = station(24, reviewers=[Reviewer(25, ON, 9)])
ST_NO_SEAL = station(30, reviewers=[Reviewer(31, ON, 0)], seal=False)
ST_OFF_DUTY = station(40, reviewers=[Reviewer(41, OFF, 0)])
ST_NOBODY = station(50, reviewers=[])
ST_OTHER_TOWN = station(60, township=TOWN_B, reviewers=[Reviewer(61, ON, 0)])

BASE = (CENTRE, DEPT_C01, DEPT_C11, WS, WS_EMPTY)
WS_NO_SEAL = workstation(12, reviewers=[Reviewer(121, ON, 0)], seal=False)
SEALLESS_WS = (CENTRE, DEPT_C01, DEPT_C11, WS_NO_SEAL)
SEALED_CENTRE = UnitCandidate(unit_id=1, kind="city_centre", reviewers=(Reviewer(900),), has_seal=True)
DEPT_C01_NO_SEAL = UnitCandidate(unit_id=2, kind="city_department", reviewers=(Reviewer(202),), has_seal=False,
                                 categories=frozenset({"C01"}))


def req(level, units, *, category="C01", county=COUNTY, township=TOWN, opened=None, prev_unit=None,
        prev_reviewer=None):
    return RoutingRequest(approval_level=level, category=category, county=county, township=township,
                          units=tuple(units), opened_unit_id=opened, previous_unit_id=prev_unit,
                          previous_reviewer_id=prev_reviewer)


CASES = [
    # id, request, expected (unit, reviewer, tier, reason)
    ("township: own station with reviewer and seal",
     req("township", BASE + (ST_OK, ST_OTHER_TOWN)), (20, 21, "township", Reason.TOWNSHIP_STATION)),
    ("township: the opening station first among eligible ones",
     req("township", BASE + (ST_OK, ST_OK_BUSY), opened=24), (24, 25, "township", Reason.TOWNSHIP_STATION)),
    ("township: least loaded eligible station when the opener is elsewhere",
     req("township", BASE + (ST_OK_BUSY, ST_OK), opened=999), (20, 21, "township", Reason.TOWNSHIP_STATION)),
    ("township: station lacks a seal -> county workstation",
     req("township", BASE + (ST_NO_SEAL,)), (10, 102, "county", Reason.TOWNSHIP_NO_SEAL)),
    ("township: reviewer off duty -> county workstation",
     req("township", BASE + (ST_OFF_DUTY,)), (10, 102, "county", Reason.TOWNSHIP_NO_REVIEWER)),
    ("township: station without reviewers -> county workstation",
     req("township", BASE + (ST_NOBODY,)), (10, 102, "county", Reason.TOWNSHIP_NO_REVIEWER)),
    ("township: only another township has a station -> county",
     req("township", BASE + (ST_OTHER_TOWN,)), (10, 102, "county", Reason.TOWNSHIP_NO_STATION)),
    ("township: resident township unknown -> county",
     req("township", BASE + (ST_OK,), township=None), (10, 102, "county", Reason.TOWNSHIP_UNKNOWN)),
    ("township: falls back to a county workstation with nobody on duty -> its queue",
     req("township", BASE + (station(70, county=OTHER_COUNTY, township="371703001", seal=False),),
         county=OTHER_COUNTY, township="371703001"), (11, None, "county", Reason.TOWNSHIP_NO_REVIEWER)),
    ("county: resident's county workstation, fewest open cases",
     req("county", BASE + (ST_OK,)), (10, 102, "county", Reason.COUNTY_WORKSTATION)),
    ("county: workstation with nobody on duty -> its queue",
     req("county", BASE, county=OTHER_COUNTY), (11, None, "county", Reason.COUNTY_WORKSTATION)),
    ("county: county without workstation -> city department of the category",
     req("county", BASE, county="371799"), (2, 202, "city", Reason.COUNTY_NO_WORKSTATION)),
    ("county: county unknown -> city department",
     req("county", BASE, county=None, township=None), (2, 202, "city", Reason.COUNTY_UNKNOWN)),
    ("city: department owning the category, fewest open cases",
     req("city", BASE + (ST_OK,)), (2, 202, "city", Reason.CITY_DEPARTMENT)),
    ("city: owning department with nobody on duty -> its queue",
     req("city", BASE, category="C11"), (3, None, "city", Reason.CITY_DEPARTMENT)),
    ("city: no department owns the category -> city centre",
     req("city", BASE, category="C99"), (1, 900, "city", Reason.CITY_CENTRE)),
    ("resubmitted: back to the previous unit and reviewer",
     req("township", BASE + (ST_OK,), prev_unit=10, prev_reviewer=101), (10, 101, "county", Reason.RESUBMITTED)),
    ("resubmitted: previous reviewer off duty -> least loaded of that unit",
     req("county", BASE, prev_unit=10, prev_reviewer=103), (10, 102, "county", Reason.RESUBMITTED)),
    # Issue 18 §13: a unit that cannot seal is passed over for the next one that can.
    ("county: workstation cannot seal -> owning department",
     req("county", SEALLESS_WS), (2, 202, "city", Reason.COUNTY_NO_SEAL)),
    ("county: nobody above can seal either -> stays at the workstation",
     req("county", (CENTRE, WS_NO_SEAL)), (12, 121, "county", Reason.COUNTY_WORKSTATION)),
    ("township: station and workstation cannot seal -> owning department",
     req("township", SEALLESS_WS + (ST_NO_SEAL,)), (2, 202, "city", Reason.COUNTY_NO_SEAL)),
    ("city: owning department cannot seal, the centre can -> centre",
     req("city", (SEALED_CENTRE, DEPT_C01_NO_SEAL)), (1, 900, "city", Reason.CITY_NO_SEAL)),
    ("city: neither can seal -> the owning department still",
     req("city", (CENTRE, DEPT_C01_NO_SEAL)), (2, 202, "city", Reason.CITY_DEPARTMENT)),
    ("resubmitted: previous unit lost its seal -> routed anew",
     req("county", SEALLESS_WS, prev_unit=12, prev_reviewer=121), (2, 202, "city", Reason.RESUBMITTED_NO_SEAL)),
    ("resubmitted: previous unit lost its seal, nobody else can seal -> back to it",
     req("county", (CENTRE, WS_NO_SEAL), prev_unit=12, prev_reviewer=121), (12, 121, "county", Reason.RESUBMITTED)),
]


@pytest.mark.parametrize(("request_", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_route(request_, expected):
    assert route(request_) == RoutingDecision(*expected[:3], reason=str(expected[3]))


def test_no_city_unit_at_all_is_an_error():
    with pytest.raises(NoRoute):
        route(req("city", (WS,)))


@pytest.mark.parametrize(("reviewers", "expected"), [
    ((), None),
    ((Reviewer(5, OFF, 0),), None),
    ((Reviewer(5, ON, 2), Reviewer(3, ON, 2), Reviewer(4, ON, 1)), 4),
    ((Reviewer(5, ON, 2), Reviewer(3, ON, 2)), 3),
    ((Reviewer(5, ON, 7), Reviewer(3, OFF, 0)), 5),
])
def test_pick_reviewer_fewest_open_cases_on_duty(reviewers, expected):
    assert pick_reviewer(station(1, reviewers=reviewers)) == expected


ESCALATIONS = [
    ("station -> its county workstation", EscalationRequest(20, "C01", BASE + (ST_OK,), "township", 21),
     (10, 102, "county", Reason.ESCALATED)),
    ("workstation -> department owning the category", EscalationRequest(10, "C01", BASE, "county", 102),
     (2, 202, "city", Reason.ESCALATED)),
    ("workstation -> city centre when no department owns it",
     EscalationRequest(10, "C99", (SEALED_CENTRE, DEPT_C01, WS), "county", 102), (1, 900, "city", Reason.ESCALATED)),
    ("department at the top -> the unit's head", EscalationRequest(2, "C01", BASE, "city", 202),
     (2, 203, "head", Reason.ESCALATED_TO_HEAD)),
    ("station without workstation -> department", EscalationRequest(70, "C01", (
        CENTRE, DEPT_C01, station(70, county="371799")), "township", None), (2, 202, "city", Reason.ESCALATED)),
]


@pytest.mark.parametrize(("request_", "expected"), [c[1:] for c in ESCALATIONS], ids=[c[0] for c in ESCALATIONS])
def test_escalate(request_, expected):
    assert escalate(request_) == RoutingDecision(*expected[:3], reason=str(expected[3]))


def test_escalate_stops_at_the_head():
    assert escalate(EscalationRequest(2, "C01", BASE, "head", 203)) is None


def test_escalate_top_without_head_has_nowhere_to_go():
    assert escalate(EscalationRequest(3, "C11", (department(3, {"C11"}),), "city", None)) is None


# Issue 18 §13: escalation passes over units that cannot seal, as routing does.
SEALLESS_CENTRE = UnitCandidate(unit_id=1, kind="city_centre", reviewers=(Reviewer(900),), heads=(901,))
ESCALATIONS_WITH_SEALS = [
    ("station -> department when its workstation cannot seal",
     EscalationRequest(20, "C01", (CENTRE, DEPT_C01, WS_NO_SEAL, ST_OK), "township", 21),
     (2, 202, "city", Reason.ESCALATED_NO_SEAL)),
    ("station -> city centre when neither workstation nor department can seal",
     EscalationRequest(20, "C01", (SEALED_CENTRE, DEPT_C01_NO_SEAL, WS_NO_SEAL, ST_OK), "township", 21),
     (1, 900, "city", Reason.ESCALATED_NO_SEAL)),
    ("station -> its own head when nothing above can seal",
     EscalationRequest(20, "C01", (SEALLESS_CENTRE, DEPT_C01_NO_SEAL, WS_NO_SEAL, ST_OK), "township", 21),
     (20, 23, "head", Reason.ESCALATED_TO_HEAD_NO_SEAL)),
    ("workstation -> city centre when the department cannot seal",
     EscalationRequest(10, "C01", (SEALED_CENTRE, DEPT_C01_NO_SEAL, WS), "county", 102),
     (1, 900, "city", Reason.ESCALATED)),
    ("workstation -> its own head when no city unit can seal",
     EscalationRequest(10, "C99", (SEALLESS_CENTRE, DEPT_C01, WS), "county", 102),
     (10, 104, "head", Reason.ESCALATED_TO_HEAD_NO_SEAL)),
    ("a sealing workstation still takes it first",
     EscalationRequest(20, "C01", (CENTRE, DEPT_C01, WS, ST_OK), "township", 21),
     (10, 102, "county", Reason.ESCALATED)),
    ("no head and nothing above can seal -> still up to the next unit",
     EscalationRequest(30, "C01", (SEALLESS_CENTRE, DEPT_C01_NO_SEAL, WS_NO_SEAL, ST_NO_SEAL), "township", 31),
     (12, 121, "county", Reason.ESCALATED)),
]


@pytest.mark.parametrize(("request_", "expected"), [c[1:] for c in ESCALATIONS_WITH_SEALS],
                         ids=[c[0] for c in ESCALATIONS_WITH_SEALS])
def test_escalate_skips_units_that_cannot_seal(request_, expected):
    assert escalate(request_) == RoutingDecision(*expected[:3], reason=str(expected[3]))


def test_every_escalation_reason_has_a_timeline_text_in_both_languages():
    from django.utils import translation

    from reviews.services import REASON_TEXT

    for reason in (Reason.ESCALATED_NO_SEAL, Reason.ESCALATED_TO_HEAD_NO_SEAL):
        with translation.override("zh-hans"):
            chinese = str(REASON_TEXT[reason])
        with translation.override("en"):
            english = str(REASON_TEXT[reason])
        assert "印章" in chinese and "seal" in english, reason
