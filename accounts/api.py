"""Login endpoints and the signed-in user's profile."""
from django.contrib.auth import login, logout
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts import serializers as s
from accounts.notifications import notices_mark_read
from accounts.throttles import OtpIpThrottle, OtpPhoneThrottle, OtpVerifyIpThrottle
from core.edge import json_only_parsers


class OtpRequestApi(APIView):
    permission_classes = [AllowAny]
    parser_classes = json_only_parsers()  # no login (or code sent) from a cross-site form
    authentication_classes: list = []
    throttle_classes = [OtpPhoneThrottle, OtpIpThrottle]

    @extend_schema(request=s.OtpRequestIn, responses={202: s.OtpSentOut}, summary="Send a login code by SMS")
    def post(self, request):
        data = s.OtpRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        otp = services.otp_request(phone=data.validated_data["phone"])
        return Response(s.OtpSentOut(otp).data, status=status.HTTP_202_ACCEPTED)


class OtpVerifyApi(APIView):
    permission_classes = [AllowAny]
    parser_classes = json_only_parsers()
    throttle_classes = [OtpVerifyIpThrottle]

    @extend_schema(request=s.OtpVerifyIn, responses=s.MeOut, summary="Log in with phone + code")
    def post(self, request):
        data = s.OtpVerifyIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.otp_verify(**data.validated_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(s.MeOut(user).data)


class StaffLoginApi(APIView):
    permission_classes = [AllowAny]
    parser_classes = json_only_parsers()

    @extend_schema(request=s.StaffLoginIn, responses=s.MeOut, summary="Staff log in with username + password")
    def post(self, request):
        data = s.StaffLoginIn(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.staff_authenticate(request=request, **data.validated_data)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return Response(s.MeOut(user).data)


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="Log out")
    def post(self, request):
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.MeOut, summary="The signed-in user")
    def get(self, request):
        return Response(s.MeOut(request.user).data)

    @extend_schema(request=s.ProfileIn, responses=s.MeOut, summary="Complete or change the resident profile")
    def patch(self, request):
        data = s.ProfileIn(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = services.resident_profile_update(user=request.user, **data.validated_data)
        return Response(s.MeOut(user).data)


class NoticeListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.NoticesOut, summary="The signed-in person's in-app notices and the unread count")
    def get(self, request):
        return Response(s.NoticesOut(selectors.notice_summary(user=request.user)).data)


class NoticeReadApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.NoticesReadIn, responses=s.NoticesOut, summary="Mark notices read")
    def post(self, request):
        data = s.NoticesReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        notices_mark_read(user=request.user, ids=data.validated_data.get("ids"))
        return Response(s.NoticesOut(selectors.notice_summary(user=request.user)).data)
