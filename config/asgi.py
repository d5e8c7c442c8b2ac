"""ASGI entry point: HTTP through Django, WebSockets through Channels (origin-checked, authenticated)."""
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from calls.daphne_transport import install as send_frames_at_once  # noqa: E402
from config.routing import websocket_urlpatterns  # noqa: E402

send_frames_at_once()  # Daphne's writes leave at once, not on the reactor's next turn (calls/daphne_transport.py)

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

# What is loaded by now lives as long as the process. Frozen, it is left out of the collector's full passes,
# which otherwise walk all of it every time: tens of milliseconds that showed as the p99 tail of relayed
# signaling (bench/signaling.py --daphnes 2: p99 182-252 ms, 115 ms frozen). Garbage made later is collected.
gc.collect()
gc.freeze()
