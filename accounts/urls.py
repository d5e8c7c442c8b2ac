"""Accounts API (mounted under /api/v1/)."""
from django.urls import path

from accounts import api

urlpatterns = [
    path("auth/otp/request", api.OtpRequestApi.as_view(), name="otp-request"),
    path("auth/otp/verify", api.OtpVerifyApi.as_view(), name="otp-verify"),
    path("auth/login", api.StaffLoginApi.as_view(), name="staff-login"),
    path("auth/logout", api.LogoutApi.as_view(), name="logout"),
    path("me", api.MeApi.as_view(), name="me"),
    path("me/notices/", api.NoticeListApi.as_view(), name="notices"),
    path("me/notices/read/", api.NoticeReadApi.as_view(), name="notices-read"),
]
