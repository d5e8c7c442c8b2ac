"""All WebSocket routes, gathered from the apps that own them."""
from django.urls import re_path

from calls.consumers import NoSuchRouteConsumer
from calls.routing import websocket_urlpatterns as call_routes

websocket_urlpatterns = [
    *call_routes,
    re_path(r"", NoSuchRouteConsumer.as_asgi()),  # last: a path no route takes closes 4404, not 1011
]
