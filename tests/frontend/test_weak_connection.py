"""The booking flow on poor 3G in Chromium (issue 22): it completes, cold and warm; the times are printed, not
asserted (bench/weak_connection.py reports them). The booking page arrives with the resident's own township."""
import pytest

from tests.frontend.weak_network import book_once, cancel, report, signed_in_state, weak_context

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_booking_completes_on_poor_3g_cold_and_warm(chromium, live_site, capsys):
    state = signed_in_state(chromium, live_site, "13900000522", "371702195001010015")
    context = weak_context(chromium, live_site, state)
    requests = []
    context.on("request", lambda request: requests.append(request.url))
    for label in ("cold", "warm"):
        requests.clear()
        result = book_once(context, live_site)
        assert list(result["marks"]) == ["home usable", "item page", "booking page", "stations", "slots", "booked"]
        # Step 1 needs no request: the township's stations came with the page.
        assert not any("/api/v1/divisions/" in url or "/api/v1/units/?" in url for url in requests), requests
        with capsys.disabled():
            print("\n" + report(label, result["marks"]))
        cancel(context, result["booking_id"])
    context.close()
