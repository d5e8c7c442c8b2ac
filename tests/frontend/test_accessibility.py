"""axe-core on every page people use (issue 18, "Done when"): the resident's pages at 390 × 844, the station
console and the reviewer desk at 1366 × 768, each in Chinese, English and elderly mode; no violation of any impact.

Each page is scanned in the states that draw different markup (a booking ahead, one decided with its letter, one
under review; the booking steps; the verify page empty, with a genuine and with an altered letter; a case open on
the desk; a call on the console). One test per group and mode reports every violation it found at once."""
import pytest

from tests.frontend import axe_scan
from tests.frontend.axe_scan import collect, report, scan_context, settle
from tests.frontend.live import LiveSite
from tests.support.browser import call_api, require_browser
from tests.support.resident_pages import book_first_free_slot, notify, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_NUMBER = "13900000591"
MODES = list(axe_scan.MODES)


@pytest.fixture(scope="module")
def site():
    """A live site of its own: the scan's cases, notices and sign-ins would change what the other browser tests
    count on the shared one (the reviewer's unread notices, the desk's queue)."""
    require_browser()
    live = LiveSite("a11y").start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def scene(chromium, site):
    """One resident with a booking ahead, a decided case with its letter and a case under review; staff sessions."""
    context = scan_context(chromium, site, "zh")
    page = context.new_page()
    sign_in(page, site, PHONE_NUMBER)
    upcoming = book_first_free_slot(page, site)
    cases = axe_scan.cases_for(site, PHONE_NUMBER)
    letter = context.request.get(f"/api/v1/cases/{cases['decided_case']}/letter.pdf")
    assert letter.ok, letter.status
    letter_pdf = letter.body()
    resident = [c for c in context.cookies() if c["name"] in ("sessionid", "csrftoken")]
    context.close()
    username = site.sql("SELECT username FROM accounts_user WHERE phone = %s AND role = 'resident'",
                             (PHONE_NUMBER,))[0][0]
    for who in (username, "e2e-agent", "e2e-reviewer"):
        notify(site, who, f"a11y:{who}", "case_assigned", "新案件待审核", "案件 1", "/")
        notify(site, who, f"a11y:{who}:code", "seal_confirmation", "用印确认码", "482913")
    staff = {who: axe_scan.staff_session(chromium, site, f"e2e-{who}") for who in ("agent", "reviewer", "admin")}
    return {"upcoming": upcoming, **cases, "letter": letter_pdf, "resident": resident, **staff}


def _page(chromium, site, mode, cookies=(), **options):
    axe_scan.require_axe()
    context = scan_context(chromium, site, mode, **options)
    if cookies:
        context.add_cookies(list(cookies))
    return context, context.new_page()


def _open_all_details(page):
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")


def _verify_upload(page, pdf: bytes, found: dict, label: str):
    page.goto("/verify/")
    page.set_input_files("#letter", files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": pdf}])
    page.click("#letter-pick ~ button[type=submit]")
    settle(page, "#verify-result, .notice-error")
    _open_all_details(page)
    collect(page, label, found)


@pytest.mark.parametrize("mode", MODES)
def test_public_pages(chromium, site, scene, mode):
    context, page = _page(chromium, site, mode)
    found = {}
    for path, ready in [("/", "details.category"), (f"/items/{site.info['item']}/", "#checklist li"),
                        ("/login/", "#login-button"), ("/verify/", "#letter")]:
        page.goto(path)
        settle(page, ready)
        _open_all_details(page)
        collect(page, path, found)
    page.goto(f"/verify/?code={scene['letter_code']}")
    settle(page, "#verify-result")
    collect(page, "verify by code", found)
    _verify_upload(page, scene["letter"], found, "verify a genuine letter")
    altered = bytearray(scene["letter"])
    altered[altered.index(b"ReportLab Generated") + 3] ^= 0x01
    _verify_upload(page, bytes(altered), found, "verify an altered letter")
    _verify_upload(page, b"%PDF-1.7\nnot a letter\n", found, "verify not a letter")
    context.close()
    assert not found, report(found)


@pytest.mark.parametrize("mode", MODES)
def test_resident_pages(chromium, site, scene, mode):
    context, page = _page(chromium, site, mode, scene["resident"])
    found = {}
    upcoming = scene["upcoming"]
    pages = [("/", "details.category"), ("/me/bookings/", "article[data-booking]"),
             (f"/me/bookings/{upcoming['id']}/", "body[data-loaded]"),
             (f"/me/bookings/{scene['decided_booking']}/", "#letter-link"),
             (f"/me/bookings/{scene['waiting_booking']}/", "body[data-loaded]"),
             (f"/me/bookings/{upcoming['id']}/reschedule/", "#step-time .date-button"),
             ("/me/profile/", "#profile-form[data-loaded]"),
             (f"/call/{upcoming['call_id']}/check/", "#check-network[data-result]")]
    for path, ready in pages:
        page.goto(path)
        settle(page, ready)
        collect(page, path, found)
    page.click("#notices-toggle")
    settle(page, "#notices-list li")
    collect(page, "notices open", found)
    _booking_steps(page, site, found)
    page.goto(f"/call/{upcoming['call_id']}/")
    settle(page, "#call-panel[data-position]")
    collect(page, "call page (waiting room)", found)
    context.close()
    assert not found, report(found)


def _booking_steps(page, site, found: dict):
    page.goto(f"/book/{site.info['item']}/")
    settle(page, "#county option[value='371702']")
    collect(page, "book: place", found)
    page.select_option("#county", "371702")
    page.wait_for_selector("#township option[value='371702001']", state="attached")
    page.select_option("#township", "371702001")
    settle(page, f"button.station-option[data-unit='{site.info['station']}']")
    collect(page, "book: station", found)
    page.click(f"button.station-option[data-unit='{site.info['station']}']")
    settle(page, "#step-time:not([hidden]) .slot-button:not([disabled])")
    collect(page, "book: time", found)
    page.click(".slot-button:not([disabled])")
    settle(page, "#step-confirm:not([hidden])")
    collect(page, "book: confirm", found)


@pytest.mark.parametrize("mode", MODES)
def test_staff_pages(chromium, site, scene, mode):
    found = {}
    context, page = _page(chromium, site, mode, scene["agent"], staff=True)
    page.goto("/console/")
    settle(page, "#calls-today[data-loaded]")
    collect(page, "console", found)
    page.click("#notices-toggle")
    settle(page, "#notices-list li")
    collect(page, "console: notices open", found)
    page.goto(f"/console/?case={scene['waiting_case']}")
    settle(page, "#case-panel:not([hidden])")
    collect(page, "console: a case", found)
    call = call_api(page, "/api/v1/calls/", {"unit_ids": [site.info["workstation"]], "topic": "无障碍"})
    page.goto(f"/console/?unit={site.info['station']}&call={call['id']}")
    settle(page, "#call-column:not([hidden]) #case-form")
    collect(page, "console: in a call", found)
    call_api(page, f"/api/v1/calls/{call['id']}/hangup/", {})
    context.close()

    context, page = _page(chromium, site, mode, scene["reviewer"], staff=True)
    page.goto("/desk/")
    settle(page, f".queue-entry[data-case='{scene['waiting_case']}']")
    collect(page, "desk", found)
    page.click(f".queue-entry[data-case='{scene['waiting_case']}'] .open-case")
    settle(page, "#case:not([hidden]) #viewer img")
    collect(page, "desk: a case under review", found)
    page.goto(f"/desk/?case={scene['decided_case']}")
    settle(page, "#case:not([hidden]) #letter-link")
    collect(page, "desk: a decided case", found)
    context.close()

    context, page = _page(chromium, site, mode, scene["admin"], staff=True)
    page.goto("/stats/")
    settle(page, "#chart-sla svg[role=img]")
    collect(page, "stats", found)
    context.close()
    assert not found, report(found)


def test_the_scan_finds_a_nameless_button_and_a_missing_label(chromium, site):
    # The harness itself: axe is loaded and its rules run (a scan that found nothing because nothing ran passes).
    context, page = _page(chromium, site, "zh")
    page.goto("/login/")
    page.evaluate("""() => document.querySelector('main').append(
      Object.assign(document.createElement('button'), {className: 'btn'}), document.createElement('select'))""")
    ids = {violation["id"] for violation in axe_scan.violations(page)}
    assert {"button-name", "select-name"} <= ids, ids
    context.close()
