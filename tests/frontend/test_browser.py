"""The resident's phone pages in Debian's Chromium (390×844): login, catalog, booking, upload, elderly mode,
and a refused camera. The live server runs without WebRTC peers here, so the default namespace is fine."""
import datetime
import io
import re

import pytest

from tests.factories import valid_id_number
from tests.support.browser import PHONE, call_api, keep_for_readme, login, shot, staff_page, staff_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_NUMBER = "13900000077"


def tiny_jpeg() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (320, 200), "white")
    ImageDraw.Draw(picture).rectangle((20, 20, 300, 180), outline="black", width=4)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def resident_booking(chromium, live_site) -> dict:
    """A new resident's first visit on the phone: login, profile, a booking, its ID card uploaded. Module-scoped
    and asked for by every test that goes on from it, so those tests run in any order and the journey runs once."""
    phone = chromium.new_context(base_url=live_site.url, **PHONE)
    phone.grant_permissions(["camera", "microphone"], origin=live_site.url)
    page = phone.new_page()
    page.goto("/")
    shot(page, "01-home")
    login(page, live_site, PHONE_NUMBER, "/me/profile/")
    # A new resident completes the profile first.
    page.wait_for_selector("#profile-form[data-loaded]")
    page.fill("#real_name", "测试居民")
    page.fill("#id_number", valid_id_number("371702", "19580312"))
    page.check("input[name=insurance_scheme][value=urban_rural]")
    page.select_option("#home_county", "371702")
    page.wait_for_selector("#home_township option[value='371702001']", state="attached")
    page.select_option("#home_township", "371702001")
    page.click("#profile-save")
    try:
        page.wait_for_url(re.compile(r"/me/bookings/$"), timeout=15000)
    except Exception:
        raise AssertionError(f"profile not saved: {page.inner_text('#profile-error')!r}") from None

    page.goto("/")
    page.click("details[data-category='C01'] summary")
    page.click("a[data-item='C01-03']")
    page.wait_for_url(re.compile(r"/items/\d+/$"))
    page.wait_for_selector("#checklist [data-requirement='id_card']")
    shot(page, "02-item-checklist")
    page.click("#book-button")
    page.wait_for_url(re.compile(r"/book/\d+/$"))  # the page's module has run: its listeners are in place

    page.select_option("#county", "371702")
    page.wait_for_selector("#township option[value='371702001']", state="attached")
    page.select_option("#township", "371702001")
    page.click(f"button.station-option[data-unit='{live_site.info['station']}']")
    page.wait_for_selector("#step-time:not([hidden]) .slot-button:not([disabled])")
    shot(page, "03-slot-picker")
    remaining = page.inner_text(".slot-button:not([disabled]) small")
    assert re.search(r"\d", remaining)
    page.click(".slot-button:not([disabled])")
    page.wait_for_selector("#step-confirm:not([hidden])")
    page.click("#confirm")
    page.wait_for_url(re.compile(r"/me/bookings/\d+/"))
    booking_id = int(re.search(r"/me/bookings/(\d+)/", page.url).group(1))

    entry = page.locator(".material-entry[data-requirement='id_card']")
    entry.wait_for()
    assert entry.locator("input[type=file]").get_attribute("capture") == "environment"
    assert entry.locator("input[type=file]").get_attribute("accept") == "image/*,application/pdf"
    entry.locator("input[type=file]").set_input_files(
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": tiny_jpeg()}])
    page.wait_for_selector(".material-entry[data-requirement='id_card'] .m-files li")
    assert "badge-ok" in entry.locator(".m-state").get_attribute("class")
    shot(page, "04-booking-materials")
    booking = page.evaluate(f"() => fetch('/api/v1/bookings/{booking_id}/').then((r) => r.json())")
    made = {"booking_id": booking_id, "call_href": f"/call/{booking['call_id']}/check/",
            "storage": phone.storage_state()}
    phone.close()
    return made


def test_resident_logs_in_browses_books_and_uploads(chromium, live_site, resident_booking):
    booking_id = resident_booking["booking_id"]
    phone = chromium.new_context(base_url=live_site.url, storage_state=resident_booking["storage"], **PHONE)
    page = phone.new_page()
    page.goto("/me/bookings/")
    card = page.locator(f"article[data-booking='{booking_id}']")
    card.wait_for()
    assert card.locator(".countdown").count() == 1
    booking = page.evaluate(f"() => fetch('/api/v1/bookings/{booking_id}/').then((r) => r.json())")
    starts_in = page.evaluate(f"() => (new Date({booking['starts_at']!r}) - Date.now()) / 60000")
    # The big Join button appears half an hour before the start (the first free slot is usually sooner).
    assert card.locator("a.btn-join").count() == (1 if starts_in <= 29.5 else 0), starts_in
    shot(page, "05-my-bookings")
    phone.close()
    for name in ("01-home", "03-slot-picker"):
        keep_for_readme(name)


SMALL_TARGETS = """() => [...document.querySelectorAll('main a.btn, main button, main select, main input, main summary,'
  + ' header button, nav a')].filter((node) => node.offsetParent !== null)
  .map((node) => [node.id || node.className || node.textContent.trim().slice(0, 20), node.getBoundingClientRect()])
  .filter(([, box]) => box.height < 44 || box.width < 44).map(([name, box]) => `${name} ${box.width}x${box.height}`)"""


def test_touch_targets_are_at_least_44_px_on_a_phone(phone, live_site):
    page = phone.new_page()
    for path in ["/", "/login/", f"/items/{live_site.info['item']}/"]:
        page.goto(path)
        page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        assert page.evaluate(SMALL_TARGETS) == [], path


def test_elderly_mode_switches_and_is_remembered(phone):
    page = phone.new_page()
    page.goto("/")
    assert "elderly" not in (page.get_attribute("body", "class") or "")
    small = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    page.click("#elderly-toggle")
    assert "elderly" in page.get_attribute("body", "class")
    assert page.get_attribute("#elderly-toggle", "aria-pressed") == "true"
    page.reload()
    # Rendered by the server from the cookie: no flash of the small layout.
    assert "elderly" in page.get_attribute("body", "class")
    large = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert large >= small * 1.25
    height = page.evaluate("document.querySelector('.category-button').getBoundingClientRect().height")
    assert height >= 56
    # Only one category open at a time: fewer choices on the screen.
    page.click("details[data-category='C01'] summary")
    page.click("details[data-category='C02'] summary")
    # The others close on C02's `toggle` event, which the browser fires in a later task than the click.
    page.wait_for_function("document.querySelectorAll('details.category[open]').length === 1", timeout=5000)
    assert page.evaluate("[...document.querySelectorAll('details.category[open]')].map(d => d.dataset.category)") \
        == ["C02"]
    shot(page, "06-elderly-home")
    keep_for_readme("06-elderly-home")
    # The cookie is gone (another day, cleared by the browser): localStorage brings the choice back.
    phone.clear_cookies()
    page.reload()
    page.wait_for_selector("body.elderly")
    assert any(c["name"] == "elderly" and c["value"] == "1" for c in phone.cookies())


def test_resident_reschedules_and_a_station_call_rings_on_their_phone(chromium, live_site, resident_booking):
    state = resident_booking
    context = chromium.new_context(base_url=live_site.url, storage_state=state["storage"], **PHONE)
    page = context.new_page()
    page.goto(f"/me/bookings/{state['booking_id']}/")
    before = page.inner_text("#summary p")
    page.click("#reschedule")
    page.wait_for_selector("#step-time:not([hidden]) .slot-button:not([disabled])")
    assert page.is_hidden("#change-station") and page.is_hidden("#who-fields")
    page.locator(".date-button").nth(1).click()  # another day
    page.locator(".slot-button:not([disabled])").first.click()
    page.click("#confirm")
    try:
        page.wait_for_url(re.compile(rf"/me/bookings/{state['booking_id']}/\?new=1$"), timeout=15000)
    except Exception:
        raise AssertionError(f"not rescheduled: {page.inner_text('#confirm-error')!r}") from None
    page.wait_for_selector("#summary h1")
    assert page.inner_text("#summary p") != before

    # The station calls the resident back (an ad hoc call): the open page rings.
    staff = chromium.new_context(base_url=live_site.url)
    desk = staff.new_page()
    staff_sign_in(desk, "e2e-agent")
    desk.wait_for_url(live_site.url + "/console/")
    page.wait_for_timeout(500)  # the resident's /ws/me/ socket is open
    resident_id = page.evaluate("() => fetch('/api/v1/me').then((r) => r.json()).then((me) => me.id)")
    call = desk.evaluate("""async (residentId) => {
      const { api } = await import(document.querySelector('link[rel=modulepreload][href*="/js/common."]').href);
      return api('/api/v1/calls/', { method: 'POST', body: { resident_id: residentId, topic: '回访' } });
    }""", resident_id)
    page.wait_for_selector("#incoming-call:not([hidden]) #answer-call")
    shot(page, "08-incoming-call")
    page.click("#answer-call")
    page.wait_for_url(re.compile(rf"/call/{call['id']}/check/$"))
    staff.close()
    context.close()


def test_statistics_page_draws_svg_charts_for_administrators(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    staff_sign_in(page, "e2e-admin")
    page.wait_for_url(live_site.url + "/stats/")
    page.wait_for_selector("#chart-sla svg[role=img]")
    page.wait_for_selector("#chart-volume svg rect", state="attached")
    assert page.locator("#chart-volume svg rect").count() == 14
    assert page.locator("#chart-sla svg title").text_content()
    context.close()


def test_refused_camera_shows_instructions_and_audio_only_path(chromium, live_site, resident_booking):
    state = resident_booking
    context = chromium.new_context(base_url=live_site.url, storage_state=state["storage"], **PHONE)
    # The person taps "Block" on the camera prompt: getUserMedia with video fails with NotAllowedError.
    context.add_init_script("""
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (constraints) => constraints && constraints.video
        ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError'))
        : original(constraints);
    """)
    page = context.new_page()
    page.goto(state["call_href"])
    page.wait_for_selector("#camera-help:not([hidden])")
    assert page.get_attribute("#check-camera", "data-result") == "fail"
    help_text = page.inner_text("#camera-help")
    assert "Chrome" in help_text and "Safari" in help_text and "微信" in help_text
    page.wait_for_selector("#check-mic[data-result='ok']")
    page.wait_for_selector("#check-network[data-result='ok']")
    assert "btn-primary" in page.get_attribute("#enter-audio", "class")
    shot(page, "07-camera-refused")
    keep_for_readme("07-camera-refused")
    page.click("#enter-audio")
    page.wait_for_url(re.compile(r"/call/[0-9a-f-]+/\?audio=1$"))
    # In the waiting room with sound only: no self view, queue position shown.
    page.wait_for_selector("#call-panel[data-position]")
    assert page.is_hidden("#self-view")
    assert "1" in page.get_attribute("#call-panel", "data-position")
    context.close()


# --- The day's calls on the console and the desk ----------------------------------------------------------------

NARROW_PHONE = {**PHONE, "viewport": {"width": 360, "height": 780}}


def let_ring_out(site, call_id: str):
    """Nobody answers: move the call's ringing deadline into the past; the next read ends it as missed."""
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    site.sql("UPDATE calls_callinvitation SET rings_until = %s WHERE call_id = %s", (past, call_id))
    site.sql("UPDATE calls_call SET rings_until = %s WHERE id = %s", (past, call_id))


def test_console_lists_a_missed_call_above_a_newer_answered_one_and_refreshes_itself(chromium, live_site):
    agent_context, console = staff_page(chromium, live_site, "e2e-agent", "/console/", **NARROW_PHONE)
    console.wait_for_selector("#calls-today[data-loaded]")
    missed = call_api(console, "/api/v1/calls/", {"resident_id": live_site.info["callee"], "topic": "补材料回访"})
    let_ring_out(live_site, missed["id"])
    answered = call_api(console, "/api/v1/calls/", {"unit_ids": [live_site.info["workstation"]], "topic": "会商"})
    reviewer_context, desk = staff_page(chromium, live_site, "e2e-reviewer", "/desk/", locale="zh-CN")
    call_api(desk, f"/api/v1/calls/{answered['id']}/accept/", {})
    call_api(console, f"/api/v1/calls/{answered['id']}/hangup/", {})

    # No reload: the console socket told of the answer and the hang-up, and the list reloaded itself.
    missed_row = console.locator(f".call-row[data-call='{missed['id']}']")
    answered_row = console.locator(f".call-row[data-call='{answered['id']}']")
    missed_row.wait_for()
    console.wait_for_selector(f".call-row[data-call='{answered['id']}'][data-outcome='answered']")
    assert missed_row.get_attribute("data-outcome") == "missed"
    order = console.eval_on_selector_all(".call-row", "(rows) => rows.map((row) => row.dataset.call)")
    assert order.index(missed["id"]) < order.index(answered["id"])
    assert console.evaluate("() => document.querySelector('.call-row').dataset.outcome") == "missed"
    console.wait_for_function("(id) => !document.querySelector(`.call-row[data-call='${id}'] .call-who`)"
                              ".textContent.includes('…')", arg=missed["id"])
    assert "王**" in missed_row.locator(".call-who").inner_text()
    assert "王小明" not in missed_row.inner_text()
    assert "补材料回访" in missed_row.inner_text()
    assert missed_row.locator(".call-kind").inner_text() == "临时发起"
    assert "接听" in answered_row.locator(".call-who").inner_text()  # the workstation, and who answered for it
    assert console.locator("#calls-missed").is_visible()
    # 360 px wide: nothing of the section sticks out sideways.
    assert console.evaluate("() => document.getElementById('calls-today').scrollWidth"
                            " <= document.getElementById('calls-today').clientWidth")
    missed_row.locator(".case-create-toggle").click()
    missed_row.get_by_label("服务事项").wait_for()
    assert missed_row.locator(".case-create-toggle").get_attribute("aria-expanded") == "true"
    assert console.evaluate("() => document.documentElement.scrollWidth") <= 360
    shot(console, "14-console-calls", full_page=True)

    # The reviewer's desk lists the call the workstation answered.
    desk.wait_for_selector(f".call-row[data-call='{answered['id']}'][data-outcome='answered']")
    # Another day: the date picker reloads the list.
    desk.fill("#calls-date", "2020-01-01")
    desk.dispatch_event("#calls-date", "change")
    desk.wait_for_selector("#calls-today[data-loaded='2020-01-01']")
    assert desk.locator(".call-row").count() == 0
    reviewer_context.close()
    agent_context.close()


def test_agent_turns_a_residents_call_into_a_case_from_the_console(chromium, live_site):
    agent_context, console = staff_page(chromium, live_site, "e2e-agent", "/console/",
                                        viewport={"width": 1280, "height": 900}, locale="zh-CN")
    call = call_api(console, "/api/v1/calls/", {"resident_id": live_site.info["callee"], "topic": "慢病材料"})
    call_api(console, f"/api/v1/calls/{call['id']}/hangup/", {})
    console.click("#calls-refresh")
    row = console.locator(f".call-row[data-call='{call['id']}']")
    row.locator(".case-create-toggle").wait_for()

    # Attaching a case the agent may not see is refused with the API's reason, in the row.
    row.locator(".case-attach-toggle").click()
    assert row.locator(".case-attach-toggle").get_attribute("aria-expanded") == "true"
    row.get_by_label("案件编号").fill("987654")
    row.locator(".case-attach-submit").click()
    problem = row.locator(".call-problem")
    problem.filter(has_text="未能关联案件").wait_for()
    assert "找不到该案件" in problem.inner_text()

    # Turn it into a new case: the service item from the catalog, by keyboard.
    row.locator(".case-create-toggle").click()
    select = row.get_by_label("服务事项")
    select.wait_for()
    console.wait_for_function("() => document.activeElement && document.activeElement.tagName === 'SELECT'")
    select.select_option(str(live_site.info["item"]))
    select.press("Tab")
    assert console.evaluate("() => document.activeElement.classList.contains('case-create-submit')")
    console.keyboard.press("Enter")
    row.locator(".case-link").wait_for()
    case_id = int(row.locator(".case-link").get_attribute("data-case"))
    assert row.locator(".case-create-toggle").count() == 0

    [(linked,)] = live_site.sql("SELECT case_id FROM calls_call WHERE id = %s", (call["id"],))
    assert linked == case_id
    [(resident_id, item_id, status)] = live_site.sql(
        "SELECT resident_id, item_id, status FROM reviews_case WHERE id = %s", (case_id,))
    assert (resident_id, item_id, status) == (live_site.info["callee"], live_site.info["item"], "draft")
    # After a reload the row still shows the case instead of the buttons; its link opens the case on the console.
    console.reload()
    link = console.locator(f".call-row[data-call='{call['id']}'] .case-link[data-case='{case_id}']")
    link.click()
    console.wait_for_selector(f"#case-panel[data-case='{case_id}']:not([hidden])")
    assert f"#{case_id}" in console.inner_text("#case-panel-heading")
    assert console.locator("#case-panel-form select[name='employment_type']").count() == 1
    assert console.is_visible("#case-panel-submit")
    assert f"case={case_id}" in console.url
    agent_context.close()
