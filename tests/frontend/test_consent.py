"""A station opens a case for a resident in person: she is asked on her phone and agrees there."""
import pytest

from tests.support.browser import PHONE, login, wide_staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

OPEN_WALK_IN = """async ([phone, item]) => {
  const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const answer = await fetch("/api/v1/cases/", {method: "POST",
    body: JSON.stringify({resident_phone: phone, item_id: item}),
    headers: {"Content-Type": "application/json", "X-CSRFToken": token}});
  return [answer.status, await answer.json()];
}"""


def test_a_resident_agrees_on_her_phone_to_a_walk_in_case(chromium, live_site):
    phone = "13900000067"
    resident = chromium.new_context(base_url=live_site.url, **PHONE)
    page = resident.new_page()
    login(page, live_site, phone, "/me/bookings/")
    staff, console = wide_staff_page(chromium, live_site, "e2e-agent", "/console/")
    status, case = console.evaluate(OPEN_WALK_IN, [phone, live_site.info["item"]])
    assert status == 201, case
    assert live_site.sql("SELECT consent_at FROM reviews_case WHERE id = %s", (case["id"],)) == [(None,)]

    page.reload()
    card = page.locator(f"[data-consent-case='{case['id']}']")
    card.wait_for()
    assert "同意" in card.inner_text()
    card.locator("button").click()
    card.wait_for(state="detached")
    assert live_site.sql("SELECT consent_via FROM reviews_case WHERE id = %s", (case["id"],)) == [("resident",)]
    detail = console.evaluate("async (id) => (await fetch(`/api/v1/cases/${id}/`)).json()", case["id"])
    assert detail["consent_at"] and "*" not in detail["resident"]["name"]
    resident.close()
    staff.close()
