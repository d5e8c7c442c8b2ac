"""In-app notices on the people's pages (resident app, station console, reviewer desk): what the service put in a
person's notices shows with an unread count, and opening them marks them read."""

import pytest

from tests.support.browser import PHONE, login, shot, wide_staff_page
from tests.support.resident_pages import notify

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _unread(page, timeout: float = 10000) -> str:
    page.locator("#notices-count").wait_for(state="visible", timeout=timeout)
    return page.inner_text("#notices-count")


def test_a_reviewer_sees_a_code_and_a_new_case_on_the_desk_and_opening_them_clears_the_count(chromium, live_site):
    notify(live_site, "e2e-reviewer", "notice-test:case", "case_assigned", "新案件待审核", "案件 1", "/desk/?case=1")
    notify(live_site, "e2e-reviewer", "notice-test:code", "seal_confirmation", "用印确认码", "482913")
    context, page = wide_staff_page(chromium, live_site, "e2e-reviewer", "/desk/")
    assert _unread(page) == "2"
    page.click("#notices-toggle")
    page.wait_for_selector("#notices-list .notice-code")
    assert page.inner_text("#notices-list .notice-code") == "482913"
    assert page.locator("#notices-list a[href='/desk/?case=1']").inner_text() == "新案件待审核"
    page.locator("#notices-count").wait_for(state="hidden")
    shot(page, "notices-desk")
    page.reload()
    page.wait_for_selector("#notices-list li", state="attached")
    assert page.locator("#notices-count").is_hidden()
    assert context.request.get("/api/v1/me/notices/").json()["unread"] == 0
    context.close()


def test_an_agent_sees_an_escalation_on_the_console_as_it_arrives(chromium, live_site):
    context, page = wide_staff_page(chromium, live_site, "e2e-agent", "/console/")
    page.wait_for_selector("#notices-toggle")
    notify(live_site, "e2e-agent", "notice-test:escalation", "case_escalated", "案件已超期上报", "案件 7 已超期")
    # No reload: the page's own periodic refresh brings it in.
    assert _unread(page, timeout=30000) == "1"
    context.close()


def test_a_resident_sees_her_notices_in_the_app(chromium, live_site):
    phone = "13900000066"
    context = chromium.new_context(base_url=live_site.url, **PHONE)
    page = context.new_page()
    login(page, live_site, phone, "/me/bookings/")
    notify(live_site, f"r{phone}", "notice-test:resident", "booking_reminder", "预约提醒", "30分钟后开始")
    page.reload()
    assert _unread(page) == "1"
    page.click("#notices-toggle")
    assert "预约提醒" in page.inner_text("#notices-list")
    shot(page, "notices-resident")
    context.close()
