"""Fixtures of the browser tests: one live site and one Chromium per session, phone-size contexts. Helpers
(screenshots, the phone context's settings) are in tests/support/browser.py."""
import pytest

from tests.frontend.live import LiveSite, launch_chromium
from tests.support.browser import ARTIFACTS, PHONE, require_browser


@pytest.fixture(scope="session")
def live_site():
    require_browser()
    site = LiveSite("browser").start()
    yield site
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "daphne-browser.log").write_text(site.server_log())
    site.stop()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def phone(chromium, live_site):
    context = chromium.new_context(base_url=live_site.url, **PHONE)
    context.grant_permissions(["camera", "microphone"], origin=live_site.url)
    yield context
    context.close()
