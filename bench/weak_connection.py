"""The booking flow on poor 3G (400 kbps each way, 400 ms round trip) in Chromium, cold and warm cache.

    .venv/bin/python bench/weak_connection.py [--runs 2] [--list] [--pause SECONDS] [--service-worker]

Starts a live site (the embedded profile unless DATABASE_URL names PostgreSQL) with its own database, signs a
resident in from a separate browser context, then for each run books from the home page in a fresh context
(cold cache) and once more in the same context (warm: the phone has been here before). Prints seconds from
tapping the item on the home page to each step, when the home page was usable, and how many answers came over the
network and their bytes (--list names them). The service worker is blocked unless --service-worker: the pages
it fetches do not show in the page's network events. Not a test: nothing here asserts a time.
"""
import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.frontend.live import LiveSite, launch_chromium  # noqa: E402
from tests.frontend.weak_network import (  # noqa: E402
    book_once,
    cancel,
    report,
    signed_in_state,
    traffic_report,
    weak_context,
)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="print every answer that came over the network")
    parser.add_argument("--service-worker", action="store_true",
                        help="let the service worker run (pages it fetches are then missing from the counts)")
    parser.add_argument("--pause", type=float, default=0,
                        help="seconds between the cold and the warm run (past max-age=60: a later visit)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    site = LiveSite("weak").start()
    figures = {"cold": [], "warm": []}
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for run in range(args.runs):
                state = signed_in_state(browser, site, f"1380000{run:04d}", _id_number(run))
                context = weak_context(browser, site, state, service_worker=args.service_worker)
                for label in ("cold", "warm"):
                    result = book_once(context, site)
                    print(report(label, result["marks"]), flush=True)
                    print(traffic_report(result["traffic"]), flush=True)
                    for url, status, size in result["traffic"] if args.list else ():
                        print(f"        {status} {size:7d} B  {url.removeprefix(site.url)}")
                    figures[label].append(result["marks"])
                    cancel(context, result["booking_id"])
                    if label == "cold":
                        time.sleep(args.pause)
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
