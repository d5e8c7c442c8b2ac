"""WebSocket routes of the call room, the station console and a person's own notices."""
from django.urls import path

from calls import consumers

websocket_urlpatterns = [
    path("ws/calls/<str:call_id>/", consumers.CallRoomConsumer.as_asgi()),
    path("ws/stations/<int:unit_id>/", consumers.StationConsoleConsumer.as_asgi()),
    path("ws/me/", consumers.InboxConsumer.as_asgi()),
]
