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
