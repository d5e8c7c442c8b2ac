"""API routes of signing (mounted under /api/v1/)."""
from django.urls import path

from signing import api, checkpoint_api

urlpatterns = [
    path("signing/verify/", api.VerifyApi.as_view(), name="signing-verify"),
    path("signing/trust/", api.TrustApi.as_view(), name="signing-trust"),
    path("signing/checkpoints/", checkpoint_api.CheckpointListApi.as_view(), name="signing-checkpoints"),
]
