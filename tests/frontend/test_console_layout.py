"""The station console at a laptop's width, and its booking table following the station socket (issue 18 §10, §11)."""
import pytest

from tests.support.browser import call_api, staff_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAPTOP = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


def _is_bookings_list(request) -> bool:
    return "/api/v1/bookings/?unit=" in request.url


def test_at_1366_the_video_and_the_case_form_sit_side_by_side(chromium, live_site):
    context, console = staff_page(chromium, live_site, "e2e-agent", "/console/", **LAPTOP)
    call = call_api(console, "/api/v1/calls/", {"unit_ids": [live_site.info["workstation"]], "topic": "版面"})
    console.goto(f"/console/?unit={live_site.info['station']}&call={call['id']}")
    console.wait_for_selector("#call-column:not([hidden]) #case-form", state="attached")
    video = console.locator("#call-panel").bounding_box()
    form = console.locator("#case-form").locator("xpath=ancestor::section[1]").bounding_box()
    assert video and form
    assert video["x"] + video["width"] <= form["x"]  # the form is to the right of the video, not below it
    assert form["y"] < video["y"] + video["height"] and video["y"] < form["y"] + form["height"]
    call_api(console, f"/api/v1/calls/{call['id']}/hangup/", {})
    context.close()


def test_on_a_narrow_screen_the_case_form_stays_below_the_video(chromium, live_site):
    context, console = staff_page(chromium, live_site, "e2e-agent", "/console/",
                                  viewport={"width": 1024, "height": 768}, locale="zh-CN")
    call = call_api(console, "/api/v1/calls/", {"unit_ids": [live_site.info["workstation"]], "topic": "版面"})
    console.goto(f"/console/?unit={live_site.info['station']}&call={call['id']}")
    console.wait_for_selector("#call-column:not([hidden]) #case-form", state="attached")
    video = console.locator("#call-panel").bounding_box()
    form = console.locator("#case-form").locator("xpath=ancestor::section[1]").bounding_box()
    assert form["y"] >= video["y"] + video["height"]
    call_api(console, f"/api/v1/calls/{call['id']}/hangup/", {})
    context.close()


def test_the_booking_table_reloads_when_the_station_socket_tells_of_a_call(chromium, live_site):
    context, console = staff_page(chromium, live_site, "e2e-agent", "/console/", **LAPTOP)
    console.wait_for_selector("#today tbody tr")
    console.wait_for_selector("#calls-today[data-loaded]")
    # The minute's refresh is far off; only the socket event can bring this request within seconds.
    with console.expect_request(_is_bookings_list, timeout=8000):
        call = call_api(console, "/api/v1/calls/", {"unit_ids": [live_site.info["workstation"]], "topic": "同步"})
    with console.expect_request(_is_bookings_list, timeout=8000):
        call_api(console, f"/api/v1/calls/{call['id']}/hangup/", {})
    context.close()
