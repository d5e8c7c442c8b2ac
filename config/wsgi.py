"""WSGI entry point for the HTTP worker server (Granian): plain HTTP requests, no WebSockets.

WebSockets stay on Daphne (config/asgi.py); nginx sends /ws/ there. Under WSGI a request runs in one
of the server's threads from start to end, without ASGI's per-request thread and async/sync hops.
"""
import gc
import os
import sys

from django.core.wsgi import get_wsgi_application

# GIL_SWITCH_INTERVAL_MS: how long a thread may hold the GIL while others wait for it (Python's default 5).
# Measured with bench/bookings.py at 1 and 2 ms: no difference that stood out of the shared machine's noise,
# so the default stays; the variable is there to measure it again on a machine of its own.
if os.environ.get("GIL_SWITCH_INTERVAL_MS"):
    sys.setswitchinterval(float(os.environ["GIL_SWITCH_INTERVAL_MS"]) / 1000)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Everything loaded so far (Django and the apps: ~140,000 objects) lives as long as the process: kept
# out of the collector's sight, a full collection no longer walks it and stops every thread of the process
# for ~10 ms instead of ~100 ms (measured in-process on the shared build machine).
gc.freeze()
