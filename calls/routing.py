"""WebSocket routes of the call room, the station console and a person's own notices."""
from django.urls import path, re_path

from calls import consumers

websocket_urlpatterns = [
    path("ws/calls/<str:call_id>/", consumers.CallRoomConsumer.as_asgi()),
    # At most 18 digits: any unit id fits a database integer; a longer one is no route (4404), not an overflow.
    re_path(r"^ws/stations/(?P<unit_id>[0-9]{1,18})/$", consumers.StationConsoleConsumer.as_asgi()),
    path("ws/me/", consumers.InboxConsumer.as_asgi()),
]
