"""WSGI entry point for the HTTP worker server (Granian): plain HTTP requests, no WebSockets.

WebSockets stay on Daphne (config/asgi.py); nginx sends /ws/ there. Under WSGI a request runs in one
of the server's threads from start to end, without ASGI's per-request thread and async/sync hops.
"""
import os
import sys

from django.core.wsgi import get_wsgi_application

# GIL_SWITCH_INTERVAL_MS: how long a thread may hold the GIL while others wait for it (Python's default 5).
# With many blocking threads per process a shorter interval lets a request that only needs a little CPU
# through sooner, at the cost of more switches.
if os.environ.get("GIL_SWITCH_INTERVAL_MS"):
    sys.setswitchinterval(float(os.environ["GIL_SWITCH_INTERVAL_MS"]) / 1000)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
