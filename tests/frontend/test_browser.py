"""The resident's phone pages in Debian's Chromium (390×844): login, catalog, booking, upload, elderly mode,
and a refused camera. The live server runs without WebRTC peers here, so the default namespace is fine."""
import io
import re

import pytest

from tests.factories import valid_id_number
from tests.frontend.conftest import PHONE, keep_for_readme, shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE_NUMBER = "13900000077"
state: dict = {}


def tiny_jpeg() -> bytes:
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (320, 200), "white")
    ImageDraw.Draw(picture).rectangle((20, 20, 300, 180), outline="black", width=4)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG")
    return buffer.getvalue()


def login(page, site, phone: str, next_url: str):
    page.goto(f"/login/?next={next_url}")
    page.fill("#phone", phone)
    page.click("#send-code")
    page.wait_for_selector("#send-code[disabled]")
    page.fill("#code", site.last_code(phone))
    page.click("#login-button")
    try:
        page.wait_for_url(site.url + next_url, timeout=10000)
    except Exception:
        raise AssertionError(f"login failed: {page.inner_text('#login-error')!r} at {page.url}") from None


def test_resident_logs_in_browses_books_and_uploads(phone, live_site):
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

    page.goto("/me/bookings/")
    card = page.locator(f"article[data-booking='{booking_id}']")
    card.wait_for()
    assert card.locator(".countdown").count() == 1
    booking = page.evaluate(f"() => fetch('/api/v1/bookings/{booking_id}/').then((r) => r.json())")
    starts_in = page.evaluate(f"() => (new Date({booking['starts_at']!r}) - Date.now()) / 60000")
    # The big Join button appears half an hour before the start (the first free slot is usually sooner).
    assert card.locator("a.btn-join").count() == (1 if starts_in <= 29.5 else 0), starts_in
    shot(page, "05-my-bookings")
    state["booking_id"] = booking_id
    state["call_href"] = f"/call/{booking['call_id']}/check/"
    state["storage"] = phone.storage_state()
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
    assert page.evaluate("document.querySelectorAll('details.category[open]').length") == 1
    shot(page, "06-elderly-home")
    keep_for_readme("06-elderly-home")
    # The cookie is gone (another day, cleared by the browser): localStorage brings the choice back.
    phone.clear_cookies()
    page.reload()
    page.wait_for_selector("body.elderly")
    assert any(c["name"] == "elderly" and c["value"] == "1" for c in phone.cookies())


def test_resident_reschedules_and_a_station_call_rings_on_their_phone(chromium, live_site):
    if "storage" not in state:
        pytest.skip("needs the booking of the first test")
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
    desk.goto("/login/")
    desk.click("#staff-login summary")
    desk.fill("#username", "e2e-agent")
    desk.fill("#password", "e2e-password-2026")
    desk.click("#staff-button")
    desk.wait_for_url(live_site.url + "/console/")
    page.wait_for_timeout(500)  # the resident's /ws/me/ socket is open
    resident_id = page.evaluate("() => fetch('/api/v1/me').then((r) => r.json()).then((me) => me.id)")
    call = desk.evaluate("""async (residentId) => {
      const { api } = await import('/static/frontend/js/common.js');
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
    page.goto("/login/")
    page.click("#staff-login summary")
    page.fill("#username", "e2e-admin")
    page.fill("#password", "e2e-password-2026")
    page.click("#staff-button")
    page.wait_for_url(live_site.url + "/stats/")
    page.wait_for_selector("#chart-sla svg[role=img]")
    page.wait_for_selector("#chart-volume svg rect", state="attached")
    assert page.locator("#chart-volume svg rect").count() == 14
    assert page.locator("#chart-sla svg title").text_content()
    context.close()


def test_refused_camera_shows_instructions_and_audio_only_path(chromium, live_site):
    if "storage" not in state:
        pytest.skip("needs the booking of the first test")
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
