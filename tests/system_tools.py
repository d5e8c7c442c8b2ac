"""System tools that some tests need beyond Python and the pinned packages. A test that lacks one is skipped with a
reason naming its group; tests/conftest.py closes the run with one line listing the skipped groups and the one
apt-get command that installs them all (.ci/run installs them, so CI skips none)."""
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache

import pytest


@dataclass(frozen=True)
class Tool:
    label: str
    packages: tuple[str, ...]


TOOLS = {
    "chromium": Tool("Chromium (browser tests)", ("chromium",)),
    "pdfsig": Tool("poppler's pdfsig and NSS certutil", ("poppler-utils", "libnss3-tools")),
    "softhsm": Tool("SoftHSM2", ("softhsm2",)),
    "openssl-sm2": Tool("OpenSSL with SM2", ("openssl",)),
    "redis-server": Tool("redis-server", ("redis-server",)),
    "netns": Tool("network namespaces (root, unshare, ip)", ("iproute2", "util-linux")),
    "npm": Tool("Node.js with npm (axe-core for the accessibility tests)", ("nodejs", "npm")),
}
_REASON = re.compile(r"\[system:([\w-]+)\]")


def reason(name: str) -> str:
    tool = TOOLS[name]
    return f"[system:{name}] needs {tool.label} (apt-get install {' '.join(tool.packages)})"


@cache
def openssl_has_sm2() -> bool:
    if not shutil.which("openssl"):
        return False
    listed = subprocess.run(["openssl", "list", "-public-key-algorithms"], capture_output=True, text=True)
    return listed.returncode == 0 and "sm2" in listed.stdout.lower()


def present(name: str) -> bool:
    from django.conf import settings

    checks = {
        "chromium": lambda: os.path.exists("/usr/bin/chromium"),
        "pdfsig": lambda: bool(shutil.which("pdfsig") and shutil.which("certutil")),
        "softhsm": lambda: bool(shutil.which("softhsm2-util") and os.path.exists(settings.SIGNING_PKCS11_MODULE)),
        "openssl-sm2": openssl_has_sm2,
        "redis-server": lambda: bool(shutil.which("redis-server")),
        "netns": lambda: bool(shutil.which("unshare") and shutil.which("ip")),
        "npm": lambda: bool(shutil.which("npm")),
    }
    return checks[name]()


def needs(name: str):
    """A mark: skip the test when the tool is missing."""
    return pytest.mark.skipif(not present(name), reason=reason(name))


def require(name: str) -> None:
    """Inside a test or fixture: skip when the tool is missing."""
    if not present(name):
        pytest.skip(reason(name))


def summary_line(skip_reasons: list[str]) -> str | None:
    """One line naming the skipped groups and the apt-get command for all of them; None when none was skipped."""
    counts: dict[str, int] = {}
    for text in skip_reasons:
        match = _REASON.search(text)
        if match and match.group(1) in TOOLS:
            counts[match.group(1)] = counts.get(match.group(1), 0) + 1
    if not counts:
        return None
    packages = sorted({p for name in counts for p in TOOLS[name].packages})
    groups = ", ".join(f"{TOOLS[name].label} ({n})" for name, n in counts.items())
    return (f"Skipped for missing system tools: {groups}. To run them: "
            f"sudo apt-get install -y {' '.join(packages)}")
