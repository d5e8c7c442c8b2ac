"""What the browser tests share besides fixtures: the phone context, the skip when no browser is there,
screenshots into test-artifacts/ (and docs/screenshots/ on request)."""
import os
import shutil

import pytest

from tests.frontend.live import ROOT
from tests.system_tools import require

ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}


def require_browser() -> None:
    """Skip unless Playwright (a pinned package) and Debian's Chromium (a system package) are there."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("Playwright is not installed (requirements-dev.txt)")
    require("chromium")


def shot(page, name: str, full_page: bool = False):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)
    return ARTIFACTS / f"{name}.png"


def keep_for_readme(name: str):
    """Copy an artifact into docs/screenshots when FRONTEND_UPDATE_SCREENSHOTS=1."""
    if os.environ.get("FRONTEND_UPDATE_SCREENSHOTS") == "1":
        target = ROOT / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(ARTIFACTS / f"{name}.png", target / f"{name}.png")


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


STAFF_PASSWORD = "e2e-password-2026"


def staff_sign_in(page, username: str, next_url: str = "") -> None:
    """Sign a member of staff in through the login page's staff form (the caller waits for where it lands)."""
    page.goto(f"/login/?next={next_url}" if next_url else "/login/")
    page.click("#staff-login summary")
    page.fill("#username", username)
    page.fill("#password", STAFF_PASSWORD)
    page.click("#staff-button")


def staff_page(chromium, site, username: str, landing: str, **context_options):
    context = chromium.new_context(base_url=site.url, **context_options)
    page = context.new_page()
    staff_sign_in(page, username)
    page.wait_for_url(site.url + landing)
    return context, page


def call_api(page, path: str, body: dict | None = None):
    """The page's own API helper (CSRF, JSON errors) from inside the signed-in page."""
    return page.evaluate("""async ([path, body]) => {
      const { api } = await import(document.querySelector('link[rel=modulepreload][href*="/js/common."]').href);
      return api(path, { method: body ? 'POST' : 'GET', body: body || undefined });
    }""", [path, body])


def wide_staff_page(chromium, site, username: str, path: str):
    """A member of staff signed in at `path` (through ?next=) on a 1280x900 screen."""
    context = chromium.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    staff_sign_in(page, username, next_url=path)
    page.wait_for_url(site.url + path)
    return context, page
