"""WSGI entry point for the HTTP worker server (Granian): plain HTTP requests, no WebSockets.

WebSockets stay on Daphne (config/asgi.py); nginx sends /ws/ there. Under WSGI a request runs in one
of the server's threads from start to end, without ASGI's per-request thread and async/sync hops.
"""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
