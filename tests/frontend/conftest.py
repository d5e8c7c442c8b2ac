"""Fixtures of the browser tests: one live site and one Chromium per session, phone-size contexts, and the static
files collected as every profile serves them. Helpers (screenshots, the phone context's settings) are in
tests/support/browser.py."""
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import override_settings

from tests.frontend.live import LiveSite, launch_chromium
from tests.support.browser import ARTIFACTS, PHONE, require_browser

HASHED_STORAGE = {"BACKEND": "config.static_storage.HashedModulesStaticFilesStorage"}


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


@pytest.fixture(scope="session")
def collected(tmp_path_factory) -> Path:
    """collectstatic with the storage every profile uses, once per session."""
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root, STORAGES={**django_settings.STORAGES, "staticfiles": HASHED_STORAGE}):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def hashed_static(settings, collected) -> Path:
    """The settings of a profile that serves static files; a fresh Client loads WhiteNoise with them."""
    settings.STATIC_ROOT = collected
    settings.STORAGES = {**settings.STORAGES, "staticfiles": HASHED_STORAGE}
    return collected
