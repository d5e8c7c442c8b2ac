"""Fixtures of the frontend tests: one live site and one Chromium per session, phone-size contexts, and the static
files collected as every profile serves them."""
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.test import override_settings

from tests.frontend.live import ROOT, LiveSite, launch_chromium
from tests.system_tools import require

ARTIFACTS = ROOT / "test-artifacts"
HASHED_STORAGE = {"BACKEND": "config.static_storage.HashedModulesStaticFilesStorage"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN"}


def require_browser() -> None:
    """Skip unless Playwright (a pinned package) and Debian's Chromium (a system package) are there."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        pytest.skip("Playwright is not installed (requirements-dev.txt)")
    require("chromium")


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
