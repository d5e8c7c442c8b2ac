"""axe-core in the browser tests: the engine pinned in tests/frontend/axe/package-lock.json (installed with
`npm ci --prefix tests/frontend/axe`, never fetched from a CDN), injected from disk into the page under test.

The site's Content-Security-Policy allows no inline script, and Playwright injects a file as an inline script:
the contexts that scan are opened with `bypass_csp=True` (Playwright's public context option), so the policy is
not what an axe run tests. tests/frontend/test_pages.py checks that the pages themselves keep to it."""
import json

import pytest

from tests import system_tools
from tests.frontend.live import ROOT
from tests.support.browser import staff_sign_in

AXE_DIR = ROOT / "tests" / "frontend" / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
RESIDENT_SIZE = {"width": 390, "height": 844}
STAFF_SIZE = {"width": 1366, "height": 768}
# The three ways people see the site: Chinese (the default), English, and elderly mode (in Chinese).
MODES = {"zh": ("zh-hans", False), "en": ("en", False), "elderly": ("zh-hans", True)}

# Rules switched off, each with the reason it does not apply to this site. Everything else, of every impact, runs.
DISABLED_RULES: dict[str, str] = {}

RUN = """async (options) => {
  const result = await window.axe.run(document, options);
  return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary}))}));
}"""


def require_axe() -> None:
    if not system_tools.present("npm"):
        pytest.skip(system_tools.reason("npm"))
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is not installed: run `npm ci --prefix {AXE_DIR.relative_to(ROOT)}` "
                    "(the Makefile's setup does)")


def scan_context(chromium, site, mode: str, *, staff: bool = False, **options):
    """A browser context in one of MODES at the resident's phone size or the staff's laptop size."""
    language, elderly = MODES[mode]
    size = STAFF_SIZE if staff else RESIDENT_SIZE
    phone = {} if staff else {"is_mobile": True, "has_touch": True, "device_scale_factor": 2}
    context = chromium.new_context(base_url=site.url, viewport=size, bypass_csp=True,
                                   locale="en" if language == "en" else "zh-CN", **phone, **options)
    cookies = [{"name": "django_language", "value": language, "url": site.url}]
    if elderly:
        cookies.append({"name": "elderly", "value": "1", "url": site.url})
    context.add_cookies(cookies)
    context.grant_permissions(["camera", "microphone"], origin=site.url)
    return context


def violations(page) -> list[dict]:
    """axe's violations of the page as it is now, hidden parts excluded (axe's own rule)."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(path=str(AXE_JS))
    options = {"resultTypes": ["violations"],
               "rules": {rule: {"enabled": False} for rule in DISABLED_RULES}}
    return page.evaluate(RUN, options)


def describe(found: list[dict]) -> str:
    lines = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {node['target']}: {node['summary'].splitlines()[-1].strip()}"
                     for node in violation["nodes"][:6])
    return "\n".join(lines)


def assert_accessible(page, label: str) -> None:
    found = violations(page)
    assert not found, f"axe on {label} ({page.url}):\n{describe(found)}"


def collect(page, label: str, into: dict) -> None:
    """Scan and keep what was found under `label` (a page's several states in one test, reported together)."""
    found = violations(page)
    if found:
        into[label] = f"{page.url}\n{describe(found)}"


def report(found: dict) -> str:
    return json.dumps(found, ensure_ascii=False, indent=1).replace("\\n", "\n")


def cases_for(site, phone: str) -> dict:
    """A decided sealed case and a waiting one for the resident with `phone` (tests/frontend/a11y_setup.py)."""
    import subprocess

    from tests.frontend.live import PYTHON

    done = subprocess.run([PYTHON, "-m", "tests.frontend.a11y_setup", phone], cwd=ROOT, env=site.env,
                          capture_output=True, text=True, timeout=240)
    if done.returncode != 0:
        raise RuntimeError(f"a11y setup failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def staff_session(chromium, site, username: str) -> list[dict]:
    """The session cookie of a staff member signed in through the login page, to put into scanning contexts."""
    context = chromium.new_context(base_url=site.url)
    page = context.new_page()
    staff_sign_in(page, username)
    page.wait_for_url(lambda url: "/login/" not in url)
    cookies = [c for c in context.cookies() if c["name"] in ("sessionid", "csrftoken")]
    context.close()
    return cookies


def settle(page, ready: str | None = None) -> None:
    """The page has drawn what its scripts fetch: `ready` is there (when given) and the network is quiet."""
    if ready:
        page.wait_for_selector(ready, state="attached")
    page.wait_for_load_state("networkidle")
