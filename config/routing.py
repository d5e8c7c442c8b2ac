"""All WebSocket routes, gathered from the apps that own them."""
from calls.routing import websocket_urlpatterns as call_routes

websocket_urlpatterns = [*call_routes]
