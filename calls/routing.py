"""WebSocket routes of the call room and consoles."""
websocket_urlpatterns: list = []
