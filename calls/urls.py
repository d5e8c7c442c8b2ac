"""API routes of calls (mounted under /api/v1/)."""
from django.urls import path

from calls import api

urlpatterns = [
    path("calls/ice-servers/", api.IceServersApi.as_view(), name="call-ice-servers"),
    path("calls/", api.CallListApi.as_view(), name="call-list"),
    path("calls/<uuid:call_id>/", api.CallDetailApi.as_view(), name="call-detail"),
    path("calls/<uuid:call_id>/invite/", api.CallInviteApi.as_view(), name="call-invite"),
    path("calls/<uuid:call_id>/accept/", api.CallAnswerApi.as_view(), name="call-accept"),
    path("calls/<uuid:call_id>/decline/", api.CallDeclineApi.as_view(), name="call-decline"),
    path("calls/<uuid:call_id>/hangup/", api.CallHangupApi.as_view(), name="call-hangup"),
]
