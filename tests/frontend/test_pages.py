"""Page access rules and translation, with Django's test client."""
import re
import uuid

import pytest

from accounts.models import User
from stations.models import Unit
from tests.factories import ResidentFactory, staff_at

pytestmark = pytest.mark.django_db

RESIDENT_PAGES = ["/me/bookings/", "/me/bookings/1/", "/me/profile/", "/book/1/"]
SIGNED_IN_PAGES = [f"/call/{uuid.UUID(int=1)}/", f"/call/{uuid.UUID(int=1)}/check/"]
STAFF_PAGES = {"/console/": "agent", "/desk/": "reviewer", "/stats/": "administrator"}


@pytest.fixture
def station(org):
    return Unit.objects.get(code="371702001")


@pytest.fixture
def agent(station):
    return staff_at(station, role=User.Role.AGENT, is_agent=True)


@pytest.fixture
def reviewer(org):
    return staff_at(Unit.objects.get(code="371702000"), role=User.Role.REVIEWER, is_reviewer=True,
                    is_seal_keeper=True)


@pytest.fixture
def administrator(org):
    return User.objects.create_user(username="boss", password="x-long-password-1", role=User.Role.ADMINISTRATOR)


@pytest.mark.parametrize("path", ["/", "/login/", "/items/1/"])
def test_public_pages_open_to_anyone(client, org, path):
    response = client.get(path)
    assert response.status_code == 200
    assert "csrftoken" in response.cookies


@pytest.mark.parametrize("path", RESIDENT_PAGES + SIGNED_IN_PAGES + list(STAFF_PAGES))
def test_private_pages_send_anonymous_people_to_login_with_next(client, org, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert path.replace("/", "%2F") in response["Location"]


@pytest.mark.parametrize("path", RESIDENT_PAGES + SIGNED_IN_PAGES)
def test_resident_pages_open_for_a_resident(client, resident, path):
    client.force_login(resident)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", list(STAFF_PAGES))
def test_staff_pages_are_refused_to_residents(client, resident, path):
    client.force_login(resident)
    response = client.get(path)
    assert response.status_code == 403
    assert "无权访问此页面" in response.content.decode()


def test_each_staff_page_needs_its_own_right(client, agent, reviewer, administrator):
    client.force_login(agent)
    assert [client.get(p).status_code for p in STAFF_PAGES] == [200, 403, 403]
    assert client.get("/me/bookings/").status_code == 403
    client.force_login(reviewer)
    assert [client.get(p).status_code for p in STAFF_PAGES] == [403, 200, 403]
    client.force_login(administrator)
    assert client.get("/stats/").status_code == 200


def test_login_page_sends_a_signed_in_person_to_their_start_page(client, agent, reviewer, resident):
    for user, target in [(agent, "/console/"), (reviewer, "/desk/"), (resident, "/me/bookings/")]:
        client.force_login(user)
        response = client.get("/login/")
        assert response.status_code == 302 and response["Location"] == target


def test_login_page_keeps_only_local_next(client, org):
    page = client.get("/login/?next=/me/bookings/").content.decode()
    assert 'data-next="/me/bookings/"' in page
    page = client.get("/login/?next=https://evil.example/").content.decode()
    assert 'data-next=""' in page


def test_chinese_by_default_and_english_on_request(client, org):
    page = client.get("/").content.decode()
    assert '<html lang="zh-Hans">' in page
    assert "服务类别" in page and "参保登记" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="en">' in page
    # The catalog's own English names come from the data, not from message files.
    assert "Enrolment" in page or "enrol" in page.lower()
    assert "参保登记" not in page


def test_script_strings_are_translated_in_the_json_block(client, org):
    import json

    page = client.get("/login/").content.decode()
    block = re.search(r'<script id="js-strings" type="application/json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(block)["send_code"] == "获取验证码"


def test_elderly_mode_is_rendered_from_the_cookie(client, org):
    assert 'class="elderly' not in client.get("/").content.decode()
    client.cookies["elderly"] = "1"
    page = client.get("/").content.decode()
    assert '<body class="elderly' in page
    assert 'aria-pressed="true"' in page


def assert_keeps_to_the_csp(page: str, path: str) -> None:
    """No inline script, handler or style: the Content-Security-Policy allows none."""
    for tag in re.findall(r"<script[^>]*>", page):
        assert 'type="module"' in tag or 'type="application/json"' in tag, (path, tag)
    assert not re.search(r"\son[a-z]+=", page), path
    assert " style=" not in page, path


def test_pages_have_no_inline_scripts_or_handlers(client, resident):
    client.force_login(resident)
    for path in ["/", "/login/", "/items/1/", "/book/1/", "/me/bookings/", "/me/profile/",
                 f"/call/{uuid.UUID(int=1)}/check/", f"/call/{uuid.UUID(int=1)}/"]:
        assert_keeps_to_the_csp(client.get(path).content.decode(), path)


def test_profile_completion_page_for_a_new_resident(client, org):
    fresh = ResidentFactory(real_name="", id_number=None)
    client.force_login(fresh)
    page = client.get("/me/profile/?next=/book/1/").content.decode()
    assert 'data-next="/book/1/"' in page
    assert "牡丹区" in page


def test_call_link_of_notices_leads_residents_through_the_device_check(client, resident, agent):
    call_id = uuid.UUID(int=7)
    client.force_login(resident)
    assert client.get(f"/calls/{call_id}/")["Location"] == f"/call/{call_id}/check/"
    client.force_login(agent)
    assert client.get(f"/calls/{call_id}/")["Location"] == f"/call/{call_id}/"


def test_reschedule_page_only_for_ones_own_booking(client, resident, station):
    from datetime import timedelta

    from django.utils import timezone

    from bookings.models import Booking, ServiceItem

    item = ServiceItem.objects.get(code="C01-03")
    start = timezone.now() + timedelta(days=2)
    booking = Booking.objects.create(unit=station, item=item, resident=resident, booked_by=resident, starts_at=start,
                                     ends_at=start + timedelta(minutes=15))
    client.force_login(resident)
    page = client.get(f"/me/bookings/{booking.pk}/reschedule/").content.decode()
    assert f'data-reschedule="{booking.pk}"' in page and f'data-unit="{station.pk}"' in page
    client.force_login(ResidentFactory())
    assert client.get(f"/me/bookings/{booking.pk}/reschedule/").status_code == 404


# --- The day's calls on the console and the desk ----------------------------------------------------------------

def test_console_and_desk_render_the_days_calls_section_with_the_servers_today(client, agent, reviewer):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    for user, path in [(agent, "/console/"), (reviewer, "/desk/")]:
        client.force_login(user)
        response = client.get(path)
        assert response.context["today"] == timezone.localdate()
        page = response.content.decode()
        assert 'id="calls-today"' in page and f'data-today="{today}"' in page
        assert f'<input type="date" id="calls-date" value="{today}" max="{today}">' in page
        assert '<label for="calls-date">' in page
        assert "今日通话" in page


def test_console_has_a_case_panel_for_a_case_opened_from_a_call(client, agent):
    client.force_login(agent)
    page = client.get("/console/?case=12").content.decode()
    assert 'id="case-panel"' in page and 'id="case-panel-heading" tabindex="-1"' in page


@pytest.mark.parametrize("path", ["/console/", "/desk/"])
def test_a_resident_cannot_open_the_pages_that_list_calls(client, resident, path):
    client.force_login(resident)
    response = client.get(path)
    assert response.status_code == 403
    assert 'id="calls-today"' not in response.content.decode()


def test_console_and_desk_keep_to_the_content_security_policy(client, agent, reviewer):
    for user, path in [(agent, "/console/"), (reviewer, "/desk/")]:
        client.force_login(user)
        assert_keeps_to_the_csp(client.get(path).content.decode(), path)


def test_the_calls_strings_reach_the_scripts_in_both_languages(client, agent):
    import json

    client.force_login(agent)

    def strings():
        page = client.get("/console/").content.decode()
        return json.loads(re.search(r'<script id="js-strings" type="application/json">(.*?)</script>', page,
                                    re.S).group(1))

    chinese = strings()
    assert chinese["outcome_missed"] == "未接听" and chinese["case_from_call"] == "转为案件"
    assert "%(reason)s" in chinese["case_create_failed"]
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert set(strings()) == set(chinese)


@pytest.mark.parametrize(("language", "heading"), [("zh-hans", "视频办理"), ("en", "Video session")])
def test_the_call_page_has_one_h1_naming_it(client, resident, language, heading):
    # Issue 18 §9 (axe page-has-heading-one): one h1, in the page's language.
    client.force_login(resident)
    client.post("/i18n/setlang/", {"language": language, "next": "/"})
    page = client.get(f"/call/{uuid.UUID(int=1)}/").content.decode()
    headings = re.findall(r"<h1\b[^>]*>(.*?)</h1>", page, re.S)
    assert [text.strip() for text in headings] == [heading]


def _booking_start(page: str) -> dict:
    import json

    return json.loads(re.search(r'<script id="booking-start" type="application/json">(.*?)</script>', page).group(1))


def test_booking_page_offers_the_bookable_units_of_the_residents_county_and_township(client, resident, station):
    from bookings.selectors import unit_bookable
    from stations.models import Division

    county, township = resident.home_county, resident.home_township
    neighbour = Unit.objects.filter(kind=Unit.Kind.TOWNSHIP_STATION, county=county).exclude(township=township).first()
    # Units that take no bookings, though they sit in her county and township, must not be offered.
    closed = Unit.objects.create(code="T-CLOSED", kind=Unit.Kind.TOWNSHIP_STATION, name="停用的服务站", county=county,
                                 township=township, active=False)
    office = Unit.objects.create(code="T-OFFICE", kind=Unit.Kind.CITY_DEPARTMENT, name="驻县科室", county=county,
                                 township=township)
    client.force_login(resident)
    start = _booking_start(client.get("/book/1/").content.decode())

    offered = {row["id"]: row for row in start["units"]}
    units = Unit.objects.in_bulk(offered)
    assert start["county"] == county.code and start["township"] == township.code
    assert station.pk in offered and offered[station.pk]["township"] == township.code
    assert {u.kind for u in units.values()} == {Unit.Kind.TOWNSHIP_STATION, Unit.Kind.COUNTY_WORKSTATION}
    assert all(unit_bookable(kind=u.kind, active=u.active) and u.county_id == county.pk for u in units.values())
    assert all(u.township_id == township.pk for u in units.values() if u.kind == Unit.Kind.TOWNSHIP_STATION)
    assert closed.pk not in offered and office.pk not in offered
    assert neighbour is None or neighbour.pk not in offered
    assert {t["code"] for t in start["townships"]} == set(
        Division.objects.filter(parent=county).values_list("code", flat=True))


def test_console_and_desk_list_only_the_units_where_the_person_has_that_right(client, station):
    from stations.models import StaffMembership

    workstation = Unit.objects.get(code="371702000")
    person = staff_at(station, role=User.Role.AGENT, is_agent=True)
    StaffMembership.objects.create(user=person, unit=workstation, is_reviewer=True, is_seal_keeper=True)
    client.force_login(person)
    assert [unit.pk for unit in client.get("/console/").context["units"]] == [station.pk]
    desk = client.get("/desk/").context
    assert [m.unit_id for m in desk["memberships"]] == [workstation.pk] and desk["seal_keeper"] is True


def test_item_and_booking_pages_only_for_an_active_item(client, resident):
    from bookings.models import ServiceItem

    item = ServiceItem.objects.filter(active=True).order_by("pk").first()
    client.force_login(resident)
    assert client.get(f"/items/{item.pk}/").status_code == 200
    assert client.get(f"/book/{item.pk}/").status_code == 200
    ServiceItem.objects.filter(pk=item.pk).update(active=False)
    assert client.get(f"/items/{item.pk}/").status_code == 404
    assert client.get(f"/book/{item.pk}/").status_code == 404
