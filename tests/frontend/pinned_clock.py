"""Run a Python script with the wall clock moved to a given instant, ticking on from there:
`PINNED_CLOCK_AT=2027-03-10T12:45:00+08:00 python -m tests.frontend.pinned_clock SCRIPT ARGS...`.

The demo walk starts `manage.py` and Daphne through this, so the server lives at 12:45 or 23:30 whatever the
machine's clock says. time-machine's public `travel` moves `time.time()` and `datetime.now()` in every thread of
the process; the event loop's monotonic clock is left alone, so timers keep working.
"""
import datetime
import os
import runpy
import sys

import time_machine


def main() -> None:
    at = datetime.datetime.fromisoformat(os.environ["PINNED_CLOCK_AT"])
    script, *arguments = sys.argv[1:]
    sys.argv = [script, *arguments]
    with time_machine.travel(at, tick=True):
        runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
