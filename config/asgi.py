"""ASGI entry point: HTTP through Django, WebSockets through Channels (origin-checked, authenticated)."""
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from calls.origin import SameOriginValidator  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# What is loaded by now lives as long as the process. Frozen, it is left out of the collector's full passes,
# which otherwise walk all of it every time and showed as the tail of relayed signaling (bench/signaling.py).
# Garbage made later is collected as usual.
gc.collect()
gc.freeze()
