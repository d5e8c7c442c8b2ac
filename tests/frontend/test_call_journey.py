"""The whole journey in three browser contexts, with real WebRTC between Chromium peers:
a resident books, joins and waits; an agent admits; they connect (connectionState "connected", video frames
decoded); the resident's signaling drops and the room is rejoined; the agent captures a document and submits
the case; a reviewer approves with the seal; the resident downloads the letter; the verify page says it is valid.

The test re-executes itself inside a private network namespace (tests/frontend/netns_run.sh), where Daphne
and both browsers live: ICE pairs on the namespace's own addresses, never on the machine's network.
"""
import os
import re
import subprocess
import sys
import time

import pytest

from tests.factories import valid_id_number
from tests.frontend.live import ROOT, LiveSite, launch_chromium
from tests.support.browser import PHONE, keep_for_readme, require_browser, shot, staff_sign_in
from tests.system_tools import require

pytestmark = [pytest.mark.browser, pytest.mark.webrtc, pytest.mark.slow]

IN_NETNS = os.environ.get("FRONTEND_IN_NETNS") == "1"
RUNNER = ROOT / "tests" / "frontend" / "netns_run.sh"
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
RESIDENT_PHONE = "13900000088"


def _netns_possible() -> bool:
    require("netns")
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(IN_NETNS, reason="the outer half only")
def test_call_journey_in_a_private_network_namespace():
    require_browser()
    if not _netns_possible():
        pytest.skip("cannot create a network namespace here (unshare -n needs root)")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env["FRONTEND_IN_NETNS"] = "1"
    result = subprocess.run(
        [str(RUNNER), sys.executable, "-m", "pytest", __file__, "-q", "-x", "-p", "no:cacheprovider",
         "-k", "inside", "-o", "addopts=", "-s"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=420)
    output = result.stdout[-8000:] + result.stderr[-3000:]
    assert result.returncode == 0, output
    assert "1 passed" in result.stdout, output


def _ip_addresses() -> str:
    return subprocess.run(["ip", "-o", "addr"], capture_output=True, text=True).stdout


def _wait_connected(page, timeout=30):
    """Every peer connection of the page is connected and video frames were decoded."""
    deadline = time.time() + timeout
    samples = []
    while time.time() < deadline:
        samples = page.evaluate("window.__call ? window.__call.client.stats() : []")
        if samples and all(s["connectionState"] == "connected" and s["framesDecoded"] > 0 for s in samples):
            return samples
        time.sleep(0.5)
    raise AssertionError(f"not connected: {samples}")


def _until(page, predicate: str, timeout: float = 30):
    """Poll a JS predicate (page.wait_for_function would need eval, which our CSP forbids)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if page.evaluate(predicate):
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out: {predicate}")


def _candidate_pair_addresses(page) -> list[str]:
    return page.evaluate("""async () => {
      const out = [];
      for (const peer of window.__call.client.peers.values()) {
        const report = await peer.pc.getStats();
        const byId = new Map(); report.forEach((s) => byId.set(s.id, s));
        report.forEach((s) => {
          if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
            out.push(byId.get(s.localCandidateId).address, byId.get(s.remoteCandidateId).address);
          }
        });
      }
      return out;
    }""")


@pytest.mark.skipif(not IN_NETNS, reason="runs inside the network namespace made by the test above")
def test_journey_inside_namespace():
    addresses = _ip_addresses()
    assert "10.77.0.1" in addresses and "eth0" not in addresses, addresses
    from playwright.sync_api import sync_playwright

    site = LiveSite("journey").start()
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            _journey(browser, site)
            browser.close()
    except BaseException:
        print(site.server_log())
        raise
    finally:
        site.stop()


def _journey(browser, site):
    # --- the resident: log in, profile, book a slot (through the API the pages use), check devices, wait ---
    resident_ctx = browser.new_context(base_url=site.url, **PHONE)
    resident_ctx.grant_permissions(["camera", "microphone"], origin=site.url)
    resident = resident_ctx.new_page()
    resident.goto("/login/?next=/me/profile/")
    resident.fill("#phone", RESIDENT_PHONE)
    resident.click("#send-code")
    resident.fill("#code", site.last_code(RESIDENT_PHONE))
    resident.click("#login-button")
    resident.wait_for_url(site.url + "/me/profile/")
    booking = resident.evaluate("""async ([station, item, idNumber]) => {
      const { api } = await import(document.querySelector('link[rel=modulepreload][href*="/js/common."]').href);
      await api('/api/v1/me', { method: 'PATCH', body: { real_name: '测试居民', id_number: idNumber,
        insurance_scheme: 'employee', home_county: '371702', home_township: '371702001' } });
      const today = new Date().toISOString().slice(0, 10);
      const slots = await api(`/api/v1/units/${station}/slots/?item=${item}`);
      return api('/api/v1/bookings/', { method: 'POST', headers: { 'Idempotency-Key': 'journey-1' },
        body: { unit: station, item, starts_at: slots.slots[0].starts_at } });
    }""", [site.info["station"], site.info["item"], valid_id_number("371702", "19700101")])
    assert booking["call_id"], booking
    resident.goto(f"/call/{booking['call_id']}/check/")
    resident.wait_for_selector("#check-camera[data-result='ok']")
    resident.wait_for_selector("#check-network[data-result='ok']")
    resident.click("#enter-call")
    resident.wait_for_selector("#call-panel[data-position='1']")
    shot(resident, "10-waiting-room")

    # --- the agent: the console's live waiting list, admit, the call ---
    agent_ctx = browser.new_context(base_url=site.url, **DESKTOP)
    agent_ctx.grant_permissions(["camera", "microphone"], origin=site.url)
    agent = agent_ctx.new_page()
    staff_sign_in(agent, "e2e-agent")
    agent.wait_for_url(site.url + "/console/")
    agent.wait_for_selector(".queue-entry .admit-button")
    agent.click(".queue-entry .admit-button")
    agent.wait_for_url(re.compile(r"/console/\?.*call="))
    agent_samples = _wait_connected(agent)
    resident_samples = _wait_connected(resident)
    assert resident_samples[0]["framesDecoded"] > 0 and agent_samples[0]["framesDecoded"] > 0
    pair = _candidate_pair_addresses(resident)
    # Chromium hides the address of a peer-reflexive remote candidate (""): every address it shows is ours.
    assert pair and pair[0].startswith("10.77.0.") and all(a.startswith("10.77.0.") or a == "" for a in pair), pair
    resident.wait_for_selector("#call-state[data-state='connected']")
    shot(resident, "11-in-call")
    keep_for_readme("11-in-call")

    # --- a dropped connection: the resident's signaling socket dies; the page rejoins and reconnects ---
    if os.environ.get("FRONTEND_SKIP_DROP") != "1":
        _drop_and_rejoin(resident, agent)
    reviewer_ctx, reviewer = _reviewer_joins_on_invitation(browser, site, agent, resident)
    _after_call(agent, resident, resident_ctx, reviewer, site, booking)
    reviewer_ctx.close()


def _reviewer_joins_on_invitation(browser, site, agent, resident):
    """The agent invites the county workstation; its reviewer's desk rings; three people in one call."""
    reviewer_ctx = browser.new_context(base_url=site.url, **DESKTOP)
    reviewer_ctx.grant_permissions(["camera", "microphone"], origin=site.url)
    reviewer = reviewer_ctx.new_page()
    staff_sign_in(reviewer, "e2e-reviewer")
    reviewer.wait_for_url(site.url + "/desk/")
    time.sleep(1)  # the desk's /ws/me/ socket is open
    agent.select_option("#invite-unit", str(site.info["workstation"]))
    agent.click("#invite")
    reviewer.wait_for_selector("#invite-banner:not([hidden]) #accept-invite")
    reviewer.click("#accept-invite")
    _until(reviewer, "() => window.__call && window.__call.client.peers.size === 2")
    three = _wait_connected(reviewer)
    assert len(three) == 2
    _until(resident, "() => window.__call.client.peers.size === 2")
    _wait_connected(resident)
    assert resident.locator("#stage .remote video").count() == 2
    shot(resident, "12-three-party")
    keep_for_readme("12-three-party")
    reviewer.click("#btn-hangup")  # an invited reviewer leaves; the call goes on
    _until(resident, "() => window.__call.client.peers.size === 1")
    _wait_connected(resident)
    reviewer.goto("/desk/")
    return reviewer_ctx, reviewer


def _drop_and_rejoin(resident, agent):
    resident.on("console", lambda message: print("resident console:", message.text))
    old_pc = resident.evaluate("window.__old = [...window.__call.client.peers.values()][0].pc; 1")
    assert old_pc == 1
    resident.evaluate("window.__call.client.dropSignaling()")
    try:
        _until(resident, "() => window.__call.client.state === 'in-call' && window.__call.client.peers.size === 1"
                         " && [...window.__call.client.peers.values()][0].pc !== window.__old")
    except AssertionError:
        print("resident:", resident.evaluate("() => ({state: window.__call.client.state, "
                                             "peers: [...window.__call.client.peers.keys()]})"))
        print("agent:", agent.evaluate("() => ({state: window.__call.client.state,"
                                       " peers: [...window.__call.client.peers.keys()]})"))
        raise
    _wait_connected(resident)
    _wait_connected(agent)


def _after_call(agent, resident, resident_ctx, reviewer, site, booking):

    # --- the agent captures the resident's document and submits the case ---
    agent.select_option("#capture-requirement", "id_card")
    agent.click("#capture")
    agent.wait_for_selector("#capture-status[data-done='true']")
    agent.wait_for_selector("#case-form select[name='employment_type']")
    agent.select_option("#case-form select[name='employment_type']", index=1)
    agent.fill("#case-form input[name='start_month']", "2026-12-01")
    agent.click("#submit-case")
    agent.wait_for_selector("#case-status[data-case]")
    case_id = agent.get_attribute("#case-status", "data-case")
    shot(agent, "13-console", full_page=True)

    # --- the reviewer approves with the seal and a confirmation code ---
    reviewer.reload()
    reviewer.wait_for_selector(f".queue-entry[data-case='{case_id}'] .open-case")
    reviewer.click(f".queue-entry[data-case='{case_id}'] .open-case")
    reviewer.wait_for_selector("#case:not([hidden]) #viewer img")
    reviewer.click("#rotate")
    assert "rotate(90deg)" in reviewer.get_attribute("#viewer img", "style")
    if reviewer.locator("#claim").count():
        reviewer.click("#claim")
        reviewer.wait_for_selector("#claim", state="detached")
    reviewer.check("input[name=decision][value=approve]")
    reviewer.click("#get-code")
    reviewer.fill("#confirmation-code", site.last_code("13700000009"))
    shot(reviewer, "14-desk", full_page=True)
    reviewer.click("#decide")
    reviewer.wait_for_selector("#letter-link", timeout=30000)

    # --- the resident downloads the sealed letter and checks it on the verify page ---
    resident.goto(f"/me/bookings/{booking['id']}/")
    resident.wait_for_selector("#letter-link")
    response = resident_ctx.request.get(resident.get_attribute("#letter-link", "href"))
    assert response.status == 200
    pdf = response.body()
    assert pdf.startswith(b"%PDF")
    shot(resident, "15-letter")
    resident.goto("/verify/")
    resident.set_input_files("#letter", files=[{"name": "letter.pdf", "mimeType": "application/pdf",
                                                "buffer": pdf}])
    resident.click("form[enctype] button[type=submit]")
    resident.wait_for_selector("#verify-result")
    assert "is-ok" in resident.get_attribute("#verify-result", "class")
    shot(resident, "16-verify")
