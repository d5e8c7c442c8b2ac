"""The booking flow on poor 3G (400 kbps each way, 400 ms round trip) in Chromium, cold and warm cache.

    .venv/bin/python bench/weak_connection.py [--runs 2]

Starts a live site (the embedded profile unless DATABASE_URL names PostgreSQL) with its own database, signs a
resident in from a separate browser context, then for each run books from the home page in a fresh context
(cold cache) and once more in the same context (warm: the phone has been here before). Prints seconds from
tapping the item on the home page to each step, and when the home page was usable. Not a test: nothing here
asserts a time.
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.frontend.live import LiveSite, launch_chromium  # noqa: E402
from tests.frontend.weak_network import book_once, cancel, report, signed_in_state, weak_context  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    site = LiveSite("weak").start()
    figures = {"cold": [], "warm": []}
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for run in range(args.runs):
                state = signed_in_state(browser, site, f"1380000{run:04d}", _id_number(run))
                context = weak_context(browser, site, state)
                for label in ("cold", "warm"):
                    result = book_once(context, site)
                    print(report(label, result["marks"]), flush=True)
                    figures[label].append(result["marks"])
                    cancel(context, result["booking_id"])
                context.close()
            browser.close()
    finally:
        site.stop()
    for label, runs in figures.items():
        medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
        print(report(f"{label}~", medians))


def _id_number(n: int) -> str:
    from accounts.validators import id_check_char

    first17 = f"37170219600101{n:03d}"
    return first17 + id_check_char(first17)


if __name__ == "__main__":
    main()
