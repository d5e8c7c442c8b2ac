"""What the resident-page browser tests do through the page itself: sign in, book, call the API with the page's
CSRF cookie; and a notice written the way notification_send leaves it."""
import datetime
import json

from tests.factories import valid_id_number

API = """async ([path, method, body]) => {
  const token = (document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')) || '').split('=')[1];
  const response = await fetch(path, {method, headers: {'Content-Type': 'application/json', 'X-CSRFToken': token,
    'Idempotency-Key': crypto.randomUUID()}, body: body ? JSON.stringify(body) : undefined});
  return [response.status, await response.text()];
}"""


def api(page, path, method="GET", body=None):
    status, text = page.evaluate(API, [path, method, body])
    return status, json.loads(text) if text[:1] in "[{" else text


def sign_in(page, site, phone: str):
    """A resident with a complete profile in the station's township, signed in through the API."""
    page.goto("/login/")
    assert api(page, "/api/v1/auth/otp/request", "POST", {"phone": phone})[0] in (200, 202)
    status, body = api(page, "/api/v1/auth/otp/verify", "POST", {"phone": phone, "code": site.last_code(phone)})
    assert status == 200, body
    status, body = api(page, "/api/v1/me", "PATCH", {
        "real_name": "测试居民", "id_number": valid_id_number("371702", "19500101"), "insurance_scheme": "urban_rural",
        "home_county": "371702", "home_township": "371702001"})
    assert status == 200, body


def book_first_free_slot(page, site) -> dict:
    today = datetime.date.today()
    status, slots = api(page, f"/api/v1/units/{site.info['station']}/slots/?item={site.info['item']}"
                              f"&date_from={today}&date_to={today + datetime.timedelta(days=3)}")
    assert status == 200, slots
    rows = slots if isinstance(slots, list) else slots.get("results") or slots.get("slots")
    free = next(slot for slot in rows if slot.get("remaining", 1) > 0)
    status, booking = api(page, "/api/v1/bookings/", "POST", {
        "unit": site.info["station"], "item": site.info["item"], "starts_at": free["starts_at"]})
    assert status == 201, booking
    return booking


def notify(site, username: str, key: str, kind: str, title: str, body: str = "", link: str = "") -> None:
    """A notice as notification_send leaves it (the live site is another process: its database directly)."""
    user_id = site.sql("SELECT id FROM accounts_user WHERE username = %s", (username,))[0][0]
    site.sql("INSERT INTO accounts_notification (user_id, event_key, kind, title, body, link, sent_sms, created_at) "
             "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
             (user_id, key, kind, title, body, link, False, datetime.datetime.now(datetime.UTC)))
