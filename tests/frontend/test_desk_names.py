"""Issue 18 §12: every button on the reviewer desk has a name a screen reader reads, in both languages."""
import json

import pytest

from tests.support.browser import wide_staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUEUE = {"count": 1, "next": None, "previous": None, "results": [{
    "id": 4242, "item": {"name": "门诊慢特病待遇认定"}, "sla_state": "on_time", "resident": {"name": "王*明"},
    "opened_unit": {"name": "东城街道医疗保障服务站"}, "status_label": "待审核", "due_at": None}]}

# What assistive technology reads as a button's name (the parts of the accessible name algorithm it uses here).
NAMES = """buttons => buttons.map(b => {
  const labelledby = (b.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
    .map(id => (document.getElementById(id) || {}).textContent || '').join(' ');
  return (b.getAttribute('aria-label') || labelledby || b.textContent || b.title || '').trim();
})"""


@pytest.mark.parametrize(("language", "expected"), [("zh-hans", "打开案件 #4242"), ("en", "Open case #4242")])
def test_every_desk_button_has_a_spoken_name(chromium, live_site, language, expected):
    context, page = wide_staff_page(chromium, live_site, "e2e-reviewer", "/desk/")
    page.set_viewport_size({"width": 1366, "height": 768})
    # One case in the queue, whatever the live database holds: the row's button is the one under test.
    page.route("**/api/v1/reviews/queue/**", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps(QUEUE)))
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    context.request.post("/i18n/setlang/", form={"language": language, "next": "/desk/"},
                         headers={"X-CSRFToken": csrf})
    page.goto("/desk/")
    page.wait_for_selector(".queue-entry[data-case='4242'] .open-case")
    names = page.locator("button").evaluate_all(NAMES)
    assert names and all(name and any(ch.isalnum() for ch in name) for name in names), names
    open_case = page.locator(".queue-entry[data-case='4242'] .open-case").evaluate_all(NAMES)[0]
    assert open_case.startswith(expected) and "门诊慢特病待遇认定" in open_case
    context.close()
