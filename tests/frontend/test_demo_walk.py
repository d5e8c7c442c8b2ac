"""The demo journey that `make run` prints, walked through the pages at 12:45 and at 23:30 (issue 17 §4).

The server is `make run`'s (tests/frontend/demo_walk.py) with its clock pinned to that local time. Each test
below is one step of the printed walk-through, in its order, with its accounts; every code is read from the
server's console output, as a newcomer reads it from the terminal. Window A is the resident's phone, window B
the agent's browser, window C the invited reviewer's.

Three browsers in one call would pair WebRTC on the machine's own address, so the steps run in a private network
namespace (tests/frontend/netns_run.sh): the first test below starts them there, once per clock time.
"""
import datetime
import functools
import re

import pytest

from tests.frontend.demo_walk import (
    IN_NETNS,
    SHANGHAI,
    WALK_DATE,
    DemoSite,
    Walkthrough,
    assert_in_private_namespace,
    in_private_namespace,
    netns_possible,
    staff_login,
    until,
    window,
)
from tests.frontend.live import launch_chromium
from tests.support.browser import ARTIFACTS, PHONE, require_browser, shot
from tests.system_tools import require

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLOCKS = {"at-1245": "12:45", "at-2330": "23:30"}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
# The slot grid is 20 minutes for a 10-minute session (10-minute cells, 5-minute buffer).
STARTS_WITHIN = datetime.timedelta(minutes=20)


@pytest.mark.skipif(IN_NETNS, reason="the outer half only")
@pytest.mark.timeout(600)
@pytest.mark.parametrize("clock", CLOCKS)
def test_the_walk_in_a_private_network_namespace(clock):
    require_browser()
    require("netns")
    if not netns_possible():
        pytest.skip("cannot create a network namespace here (unshare -n needs root)")
    result = in_private_namespace(__file__, f"{clock} and not private_network_namespace", timeout=540)
    output = result.stdout[-8000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    assert "9 passed" in result.stdout, output


class Walk:
    """What one walk carries from step to step; a failed step skips the ones after it."""

    def __init__(self, site: DemoSite, browser):
        self.site, self.browser = site, browser
        self.guide: Walkthrough | None = None
        self.windows: dict[str, tuple] = {}
        self.failed: str | None = None
        self.booking_id = self.case_id = None

    def page(self, name: str):
        return self.windows[name][1]

    def close(self):
        for context, _page in self.windows.values():
            context.close()


@pytest.fixture(scope="module")
def walk_browser():
    if not IN_NETNS:
        pytest.skip("a step of the walk: test_the_walk_in_a_private_network_namespace runs it")
    assert_in_private_namespace()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module", params=list(CLOCKS.values()), ids=list(CLOCKS))
def walk(request, walk_browser):
    site = DemoSite(request.param).start()
    journey = Walk(site, walk_browser)
    yield journey
    journey.close()
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"walk-{site.starts_at:%H%M}-console.log").write_text(site.console())
    site.stop()


def step(test):
    @functools.wraps(test)
    def run(walk, *args, **kwargs):
        if walk.failed:
            pytest.skip(f"the walk stopped at {walk.failed}")
        try:
            return test(walk, *args, **kwargs)
        except BaseException:
            walk.failed = test.__name__
            raise
    return run


@step
def test_make_run_prints_the_walkthrough_and_serves_at_the_pinned_time(walk):
    walk.guide = Walkthrough.read(walk.site.console())
    assert walk.guide.station.startswith("【演示】")
    clock = walk.site.now()
    assert clock.date() == WALK_DATE and clock - walk.site.starts_at < datetime.timedelta(minutes=2), clock


@step
def test_window_a_the_resident_logs_in_with_the_code_on_the_console(walk):
    context, page = walk.windows["A"] = window(walk.browser, walk.site, **PHONE)
    page.goto("/login/")
    page.fill("#phone", walk.guide.resident_phone)
    since = walk.site.mark()
    page.click("#send-code")
    _phone, code = walk.site.code(since=since, phone=walk.guide.resident_phone)
    page.fill("#code", code)
    page.click("#login-button")
    page.wait_for_url(walk.site.url + "/")
    me = page.evaluate("() => fetch('/api/v1/me').then((r) => r.json())")
    phone = walk.guide.resident_phone
    assert (me["role"], me["phone"]) == ("resident", f"{phone[:3]}****{phone[-4:]}"), me


@step
def test_window_a_she_books_the_first_free_time_at_the_demo_station(walk):
    page, guide = walk.page("A"), walk.guide
    page.locator("details.category summary", has_text=guide.category).click()
    page.locator("a.item-link", has_text=guide.item).click()
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    page.click("#book-button")
    page.wait_for_url(re.compile(r"/book/\d+/$"))
    page.select_option("#county", label=guide.county)
    page.wait_for_selector(f"#township option:text-is('{guide.township}')", state="attached")
    page.select_option("#township", label=guide.township)
    page.locator("button.station-option", has_text=guide.station).click()
    first = page.locator("#step-time:not([hidden]) .slot-button:not([disabled])").first
    first.wait_for()
    starts_at = datetime.datetime.fromisoformat(first.get_attribute("data-starts-at")).astimezone(SHANGHAI)
    # "A slot that starts now": the next one on the grid, the same evening at 23:30 too.
    assert datetime.timedelta(0) <= starts_at - walk.site.now() <= STARTS_WITHIN, (starts_at, walk.site.now())
    first.click()
    page.click("#confirm")
    page.wait_for_url(re.compile(r"/me/bookings/\d+/"))
    walk.booking_id = int(re.search(r"/me/bookings/(\d+)/", page.url).group(1))
    shot(page, f"walk-{walk.site.starts_at:%H%M}-booked")


@step
def test_window_a_she_joins_from_my_bookings_and_waits(walk):
    page = walk.page("A")
    page.goto("/me/bookings/")
    page.locator(f"article[data-booking='{walk.booking_id}'] a.btn-join").click()
    page.wait_for_url(re.compile(r"/call/[^/]+/check/$"))
    page.wait_for_selector("#check-camera[data-result='ok']")
    page.click("#enter-call")
    page.wait_for_selector("#call-panel[data-position='1']")


@step
def test_window_b_the_agent_logs_in_and_admits_her(walk):
    context, page = walk.windows["B"] = window(walk.browser, walk.site, **DESKTOP)
    staff_login(page, walk.guide.agent, walk.guide.agent_password)
    page.wait_for_url(walk.site.url + "/console/")
    page.wait_for_selector(".queue-entry .admit-button")
    page.click(".queue-entry .admit-button")
    page.wait_for_url(re.compile(r"/console/\?.*call="))
    until(page, "() => window.__call && window.__call.client.peers.size === 1")
    until(walk.page("A"), "() => window.__call && window.__call.client.peers.size === 1")


@step
def test_window_c_the_invited_workstations_reviewer_answers_the_ring(walk):
    context, reviewer = walk.windows["C"] = window(walk.browser, walk.site, **DESKTOP)
    with reviewer.expect_websocket(lambda socket: socket.url.endswith("/ws/me/")) as opened:
        staff_login(reviewer, walk.guide.reviewer, walk.guide.reviewer_password)
    opened.value.wait_for_event("framereceived")  # the desk's socket said hello: a ring will reach it
    reviewer.wait_for_url(walk.site.url + "/desk/")
    agent = walk.page("B")
    agent.select_option("#invite-unit", label=walk.guide.invited_unit)
    agent.click("#invite")
    reviewer.wait_for_selector("#invite-banner:not([hidden]) #accept-invite")
    reviewer.click("#accept-invite")
    # Three in one room: each page has a peer for each of the two others (the media need not flow here).
    for page in (reviewer, agent, walk.page("A")):
        until(page, "() => window.__call && window.__call.client.peers.size === 2")


@step
def test_window_b_the_agent_takes_her_id_card_and_submits_the_case(walk):
    agent = walk.page("B")
    agent.select_option("#capture-requirement", "id_card")
    agent.click("#capture")
    agent.wait_for_selector("#capture-status[data-done='true']")
    agent.wait_for_selector("#case-form select")
    for select in agent.locator("#case-form select[required]").all():
        select.select_option(index=1)
    agent.click("#submit-case")
    agent.wait_for_selector("#case-status[data-case]")
    walk.case_id = agent.get_attribute("#case-status", "data-case")


@step
def test_window_b_the_same_agent_seals_it_at_the_desk_with_the_code_on_the_console(walk):
    desk = walk.page("B")
    desk.goto("/desk/")
    desk.wait_for_selector(f".queue-entry[data-case='{walk.case_id}'] .open-case")
    desk.click(f".queue-entry[data-case='{walk.case_id}'] .open-case")
    desk.wait_for_selector("#case:not([hidden])")
    if desk.locator("#claim").count():
        desk.click("#claim")
        desk.wait_for_selector("#claim", state="detached")
    desk.check("input[name=decision][value=approve]")
    since = walk.site.mark()
    desk.click("#get-code")
    _phone, code = walk.site.code(since=since)
    desk.fill("#confirmation-code", code)
    desk.click("#decide")
    desk.wait_for_selector("#letter-link", timeout=30000)
    shot(desk, f"walk-{walk.site.starts_at:%H%M}-sealed", full_page=True)


@step
def test_window_a_she_downloads_the_sealed_letter_and_the_verify_page_accepts_it(walk):
    page, context = walk.page("A"), walk.windows["A"][0]
    page.goto(f"/me/bookings/{walk.booking_id}/")
    page.wait_for_selector("#letter-link")
    response = context.request.get(page.get_attribute("#letter-link", "href"))
    assert response.status == 200
    letter = response.body()
    assert letter.startswith(b"%PDF")
    page.goto("/verify/")
    page.set_input_files("#letter", files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": letter}])
    page.click("form[enctype] button[type=submit]")
    page.wait_for_selector("#verify-result")
    assert "is-ok" in page.get_attribute("#verify-result", "class")
    shot(page, f"walk-{walk.site.starts_at:%H%M}-verified")
