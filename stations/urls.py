"""Organisation API (mounted under /api/v1/)."""
from django.urls import path

from stations import api

urlpatterns = [
    path("units/", api.UnitListApi.as_view(), name="unit-list"),
    path("units/<int:pk>/", api.UnitDetailApi.as_view(), name="unit-detail"),
    path("divisions/", api.DivisionListApi.as_view(), name="division-list"),
]
