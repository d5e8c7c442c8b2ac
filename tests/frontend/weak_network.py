"""The resident's booking flow on a poor mobile connection, timed step by step (issue 22).

Chromium's own network emulation (CDP Network.emulateNetworkConditions) holds every request of the page to the
profile below; a fresh browser context is a cold cache, a second run in the same context a warm one. Used by the
browser test (which asserts the flow completes) and by bench/weak_connection.py (which prints the figures).
"""
import re
import time

# Poor 3G as the issue measured it: 400 kbps each way, 400 ms round trip.
POOR_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}

SIGN_IN = """async ([phone, code, idNumber]) => {
  const token = () => (document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')) || '').split('=')[1];
  const post = (path, body) => fetch(path, {method: 'POST', body: JSON.stringify(body),
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': token()}});
  if (code === null) return (await post('/api/v1/auth/otp/request', {phone})).status;
  const verified = await post('/api/v1/auth/otp/verify', {phone, code});
  if (!verified.ok) return verified.status;
  return (await fetch('/api/v1/me', {method: 'PATCH', body: JSON.stringify({real_name: '网络测试', id_number: idNumber,
    insurance_scheme: 'urban_rural', home_county: '371702', home_township: '371702001'}),
    headers: {'Content-Type': 'application/json', 'X-CSRFToken': token()}})).status;
}"""


def signed_in_state(browser, site, phone: str, id_number: str) -> dict:
    """Cookies of a resident with a complete profile, signed in from another context (so the cache stays cold)."""
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/login/")
    page.evaluate(SIGN_IN, [phone, None, id_number])
    status = page.evaluate(SIGN_IN, [phone, site.last_code(phone), id_number])
    assert status == 200, status
    state = context.storage_state()
    context.close()
    return state


def weak_context(browser, site, state: dict, *, service_worker: bool = False):
    """A phone's browser context. The service worker is blocked unless asked for: the pages it fetches (navigation
    preload) do not show in the page's network events, so the answers and bytes counted here would miss them."""
    return browser.new_context(base_url=site.url, storage_state=state,
                               service_workers="allow" if service_worker else "block", **PHONE)


def _slow(context, page, traffic: list):
    """Hold the page to poor 3G; `traffic` gets (url, status, bytes on the wire) of each answer that came over the
    network (answers from the browser's cache have no bytes on the wire and are left out)."""
    session = context.new_cdp_session(page)
    answers = {}
    session.on("Network.responseReceived",
               lambda event: answers.__setitem__(event["requestId"], (event["response"]["url"],
                                                                      event["response"]["status"])))

    def finished(event):
        url, status = answers.pop(event["requestId"], ("?", 0))
        if event["encodedDataLength"] > 0:
            traffic.append((url, status, event["encodedDataLength"]))

    session.on("Network.loadingFinished", finished)
    session.send("Network.enable")
    session.send("Network.emulateNetworkConditions", POOR_3G)
    return session


def book_once(context, site, *, item_code: str = "C01-03") -> dict:
    """Home page → item → booking page → station → time → confirmed booking shown; seconds at each step."""
    page = context.new_page()
    traffic = []
    _slow(context, page, traffic)
    marks = {}
    start = time.monotonic()
    page.goto("/")
    page.wait_for_selector(f"details[data-category='{item_code[:3]}'] summary")
    marks["home usable"] = time.monotonic() - start
    page.click(f"details[data-category='{item_code[:3]}'] summary")
    tap = time.monotonic()

    def mark(name):
        marks[name] = time.monotonic() - tap

    page.click(f"a[data-item='{item_code}']")
    page.wait_for_selector("#book-button")
    mark("item page")
    page.click("#book-button")
    station = f"button.station-option[data-unit='{site.info['station']}']"
    page.wait_for_url(re.compile(r"/book/\d+/$"), wait_until="domcontentloaded")  # its module has run
    mark("booking page")
    if not page.locator(station).count():  # no preselection: choose county, then township
        page.select_option("#county", "371702")
        page.wait_for_selector("#township option[value='371702001']", state="attached")
        page.select_option("#township", "371702001")
    page.wait_for_selector(station)
    mark("stations")
    page.click(station)
    page.wait_for_selector("#step-time:not([hidden]) .slot-button:not([disabled])")
    mark("slots")
    page.click(".slot-button:not([disabled])")
    page.wait_for_selector("#step-confirm:not([hidden])")
    page.click("#confirm")
    page.wait_for_url(re.compile(r"/me/bookings/\d+/"))
    page.wait_for_selector("#booking-status")
    mark("booked")
    booking_id = int(re.search(r"/me/bookings/(\d+)/", page.url).group(1))
    page.close()
    return {"marks": marks, "booking_id": booking_id, "traffic": traffic}


CANCEL = """async (id) => (await fetch(`/api/v1/bookings/${id}/cancel/`, {method: 'POST', body: '{}',
  headers: {'Content-Type': 'application/json',
            'X-CSRFToken': (document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')) || '').split('=')[1]}}))
  .status"""


def cancel(context, booking_id: int) -> None:
    page = context.new_page()
    page.goto("/me/bookings/")
    status = page.evaluate(CANCEL, booking_id)
    assert status == 200, status
    page.close()


def report(label: str, marks: dict) -> str:
    return f"{label:<6}" + "  ".join(f"{name} {seconds:5.2f} s" for name, seconds in marks.items())


def traffic_report(traffic: list) -> str:
    """How many answers came over the network (how many of them 304s) and their bytes on the wire."""
    not_modified = sum(1 for _, status, _ in traffic if status == 304)
    kib = sum(size for _, _, size in traffic) / 1024
    return f"      {len(traffic)} answers over the network ({not_modified} of them 304), {kib:.1f} KiB on the wire"
