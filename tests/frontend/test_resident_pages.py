"""Resident pages at 360 px, in Chinese and English, normal and elderly mode (issue 18, points 4-8).

Widths are checked from element boxes: with `is_mobile` Chromium widens the layout viewport to the content, so a
page that overflows shows up as `scrollWidth > 360`, not as a scroll bar."""
import datetime
import re

import pytest

from tests.support.resident_pages import book_first_free_slot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTH = 360
MODES = [("zh-CN", False), ("zh-CN", True), ("en", False), ("en", True)]
MODE_IDS = ["zh", "zh-elderly", "en", "en-elderly"]

OVERFLOW = f"""() => [document.documentElement.scrollWidth,
  [...document.querySelectorAll('body *')].filter((node) => node.getClientRects().length
    && getComputedStyle(node).visibility !== 'hidden'
    && !node.closest('.visually-hidden, details:not([open]) > :not(summary)'))
  .map((node) => [node.tagName + '#' + node.id + '.' + node.className, node.getBoundingClientRect().right])
  .filter(([, right]) => right > {WIDTH} + 0.5).map(([name, right]) => `${{name}} ${{right}}`).slice(0, 5)]"""


def narrow(chromium, site, lang="zh-CN", elderly=False):
    context = chromium.new_context(base_url=site.url, viewport={"width": WIDTH, "height": 740}, is_mobile=True,
                                   has_touch=True, device_scale_factor=2, locale=lang)
    cookies = [{"name": "elderly", "value": "1", "url": site.url}] if elderly else []
    if lang == "en":
        cookies.append({"name": "django_language", "value": "en", "url": site.url})
    if cookies:
        context.add_cookies(cookies)
    return context


def set_booking(site, booking_id: int, *, status: str, starts_in: datetime.timedelta):
    starts_at = datetime.datetime.now(datetime.UTC) + starts_in
    site.sql("UPDATE bookings_booking SET status = %s, starts_at = %s, ends_at = %s WHERE id = %s",
             (status, starts_at, starts_at + datetime.timedelta(minutes=20), booking_id))


def decided_case(booking_id: int, status: str) -> dict:
    """A case as GET /api/v1/cases/{id}/ gives it (the fields the booking page reads)."""
    label = {"approved": "已批准", "rejected": "不予批准"}[status]
    return {"id": 990001, "status": status, "status_label": label, "booking_id": booking_id,
            "decision_reason": "材料齐全，符合规定" if status == "approved" else "缺少有效的转诊证明",
            "timeline": [{"at": datetime.datetime.now(datetime.UTC).isoformat(), "action_label": label,
                          "unit_name": "牡丹区医疗保障工作站", "comment": ""}]}


def serve_case(page, case: dict):
    page.route(re.compile(r"/api/v1/cases/(\?.*)?$"), lambda route: route.fulfill(
        json={"count": 1, "next": None, "previous": None, "results": [case]}))
    page.route(re.compile(rf"/api/v1/cases/{case['id']}/$"), lambda route: route.fulfill(json=case))


def open_booking(page, booking_id: int) -> str:
    page.goto(f"/me/bookings/{booking_id}/")
    page.wait_for_selector("body[data-loaded]")
    return page.inner_text("main")


BOOKING_STATES = [
    ("booked", datetime.timedelta(days=2)),      # far ahead: the countdown, no Join button
    ("booked", datetime.timedelta(minutes=10)),  # soon: the Join button
    ("checked_in", datetime.timedelta(minutes=-1)),
    ("in_call", datetime.timedelta(minutes=-5)),
    ("completed", datetime.timedelta(hours=-3)),
    ("cancelled", datetime.timedelta(days=1)),
    ("no_show", datetime.timedelta(days=-1)),
]


def test_no_booking_state_shows_null_undefined_or_nan(chromium, live_site):
    context = narrow(chromium, live_site)
    page = context.new_page()
    sign_in(page, live_site, "13900000361")
    booking = book_first_free_slot(page, live_site)
    shown = {}
    for status, starts_in in BOOKING_STATES:
        set_booking(live_site, booking["id"], status=status, starts_in=starts_in)
        shown[(status, starts_in)] = open_booking(page, booking["id"])
    for decision in ("approved", "rejected"):
        serve_case(page, decided_case(booking["id"], decision))
        shown[("completed", decision)] = open_booking(page, booking["id"])
        page.unroute_all()
    for state, text in shown.items():
        assert not re.search(r"\b(null|undefined|NaN)\b", text), (state, text)
    assert "距开始还有" in shown[BOOKING_STATES[0]] and "已完成" in shown[BOOKING_STATES[4]]
    context.close()


def test_a_decided_booking_leads_with_the_outcome_and_the_letter_and_takes_no_more_uploads(chromium, live_site):
    context = narrow(chromium, live_site)
    page = context.new_page()
    sign_in(page, live_site, "13900000362")
    booking = book_first_free_slot(page, live_site)
    set_booking(live_site, booking["id"], status="completed", starts_in=datetime.timedelta(hours=-3))
    # Finished, case not decided yet: the reviewer may still ask for more, so uploads stay open.
    open_booking(page, booking["id"])
    assert page.locator("#materials-card input[type=file]").count() > 0
    assert page.locator("#outcome").is_hidden()

    serve_case(page, decided_case(booking["id"], "approved"))
    open_booking(page, booking["id"])
    outcome, letter = page.locator("#outcome"), page.locator("#letter-link")
    assert outcome.is_visible() and "已批准" in outcome.inner_text()
    assert letter.get_attribute("href") == "/api/v1/cases/990001/letter.pdf"
    # Within the first screen, above the materials and the timeline.
    letter_box = letter.bounding_box()
    assert letter_box["y"] + letter_box["height"] <= 740, letter_box
    for below in ("#materials-card", "#case-card"):
        box = page.locator(below).bounding_box()
        assert box is None or box["y"] > letter_box["y"], below
    assert page.locator("input[type=file]").count() == 0
    assert "拍照或选择文件" not in page.inner_text("main")
    context.close()


def test_a_cancelled_booking_takes_no_uploads(chromium, live_site):
    context = narrow(chromium, live_site)
    page = context.new_page()
    sign_in(page, live_site, "13900000363")
    booking = book_first_free_slot(page, live_site)
    assert open_booking(page, booking["id"]) and page.locator("input[type=file]").count() > 0
    set_booking(live_site, booking["id"], status="cancelled", starts_in=datetime.timedelta(days=1))
    open_booking(page, booking["id"])
    assert page.locator("input[type=file]").count() == 0
    context.close()


DATE_PROBLEMS = """() => [...document.querySelectorAll('#dates .date-button')].flatMap((button) => {
  const box = button.getBoundingClientRect();
  const lines = [...button.querySelectorAll('.d-line')];
  const problems = [];
  if (box.left < 0 || box.right > innerWidth) problems.push('off screen');
  if (button.scrollWidth > button.clientWidth + 1) problems.push('clipped');
  for (const line of lines) {
    const part = line.getBoundingClientRect();
    if (line.getClientRects().length !== 1) problems.push(`"${line.textContent}" wraps`);
    if (part.left < box.left || part.right > box.right) problems.push(`"${line.textContent}" cut`);
  }
  if (lines.length < 2) problems.push('no date and weekday');
  return problems.map((problem) => `${button.textContent}: ${problem}`);
})"""


@pytest.mark.parametrize(("lang", "elderly"), MODES, ids=MODE_IDS)
def test_every_date_is_shown_whole_at_360_px(chromium, live_site, lang, elderly):
    context = narrow(chromium, live_site, lang, elderly)
    page = context.new_page()
    sign_in(page, live_site, f"1390000037{MODES.index((lang, elderly))}")
    page.goto(f"/book/{live_site.info['item']}/")
    page.select_option("#county", "371702")
    page.wait_for_selector("#township option[value='371702001']", state="attached")
    page.select_option("#township", "371702001")
    page.click(f"button.station-option[data-unit='{live_site.info['station']}']")
    page.wait_for_selector("#step-time:not([hidden]) .date-button")
    seen = set()
    while True:  # elderly mode shows three days at a time: page through all of them
        seen.update(page.eval_on_selector_all("#dates .date-button", "(nodes) => nodes.map((n) => n.dataset.date)"))
        assert page.evaluate(DATE_PROBLEMS) == []
        assert page.evaluate(OVERFLOW) == [WIDTH, []]
        if not elderly or page.is_disabled("#dates-next"):
            break
        page.click("#dates-next")
    assert len(seen) >= 10  # two weeks of a station open every day, every date looked at
    context.close()


@pytest.mark.parametrize(("lang", "elderly"), MODES, ids=MODE_IDS)
def test_verify_page_is_the_sites_own_and_fits_360_px(chromium, live_site, lang, elderly):
    context = narrow(chromium, live_site, lang, elderly)
    page = context.new_page()
    page.goto("/verify/")
    assert page.locator("header.topbar #elderly-toggle").is_visible()
    assert page.locator("header.topbar #lang-form button").is_visible()
    assert page.evaluate(OVERFLOW) == [WIDTH, []]
    assert page.locator("#offline-note code").is_hidden()  # folded away for technical staff
    page.set_input_files("#letter", files=[{"name": "a-letter-with-a-rather-long-file-name-2026.pdf",
                                            "mimeType": "application/pdf", "buffer": b"%PDF-1.7\nnot a letter\n"}])
    page.click("#letter-pick ~ button[type=submit]")
    page.wait_for_selector("#verify-result, .notice-error")
    assert page.evaluate(OVERFLOW) == [WIDTH, []]
    if page.locator("#verify-result").count():
        assert "is-bad" in page.get_attribute("#verify-result", "class")
        assert page.inner_text("#verify-reason").strip()
    context.close()


TOP_BAR = """() => {
  const bar = document.querySelector('.topbar').getBoundingClientRect();
  const parts = ['.brand', '#elderly-toggle', '#lang-form button']
    .map((s) => document.querySelector(s).getBoundingClientRect());
  return {height: bar.height, bottoms: parts.map((p) => Math.round(p.bottom)),
          right: Math.max(...parts.map((p) => p.right)), tallest: Math.max(...parts.map((p) => p.height))};
}"""


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
@pytest.mark.parametrize("path", ["/", "/verify/"])
def test_elderly_top_bar_stays_one_row_at_360_px(chromium, live_site, lang, path):
    context = narrow(chromium, live_site, lang, elderly=True)
    page = context.new_page()
    page.goto(path)
    bar = page.evaluate(TOP_BAR)
    # One row: the name, the mode switch and the language switch side by side, none of them two lines tall.
    assert bar["tallest"] <= 60 and bar["height"] <= 76, bar
    assert max(bar["bottoms"]) - min(bar["bottoms"]) <= 20 and bar["right"] <= WIDTH, bar
    assert page.locator(".brand").evaluate("(node) => node.textContent.trim()") != ""  # still read out
    context.close()
