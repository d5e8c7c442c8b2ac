"""Calls API: ICE servers, start / answer / invite / hang up, the call log, the day's calls. Thin views: each
checks its input with a serializer, calls one selector or service (which decides who may do what) and answers
through a serializer."""
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffMember
from calls import selectors, services
from calls.serializers import (
    CallAnsweredOut,
    CallDayQueryIn,
    CallDetailOut,
    CallStartIn,
    CallStatusOut,
    CallSummaryOut,
    InvitationCreatedOut,
    InviteIn,
)


class IceServersApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("call", OpenApiTypes.UUID, description="credentials valid for "
                                                "this call's length")], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        # The answer is the browser's RTCConfiguration as is (iceServers with optional TURN credentials).
        return Response(selectors.ice_servers_for(user=request.user, call_id=request.query_params.get("call")))


class CallListApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(parameters=[CallDayQueryIn], responses=CallSummaryOut(many=True))
    def get(self, request):
        query = CallDayQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        calls = services.call_log_for_day(user=request.user, day=query.validated_data.get("date",
                                                                                           timezone.localdate()))
        return Response(CallSummaryOut(calls, many=True, context={"now": timezone.now()}).data)

    @extend_schema(request=CallStartIn, responses={201: CallDetailOut})
    def post(self, request):
        data = CallStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_start(caller=request.user, **data.validated_data)
        return Response(CallDetailOut(call, context={"now": timezone.now()}).data, status=status.HTTP_201_CREATED)


class CallDetailApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(responses=CallDetailOut)
    def get(self, request, call_id):
        call = services.call_refresh_for_viewer(call_id=call_id, viewer=request.user)
        return Response(CallDetailOut(call, context={"now": timezone.now()}).data)


class CallInviteApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(request=InviteIn, responses={201: InvitationCreatedOut})
    def post(self, request, call_id):
        data = InviteIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.call_invite(call_id=call_id, actor=request.user, **data.validated_data)
        return Response(InvitationCreatedOut(invitation).data, status=status.HTTP_201_CREATED)


class CallAnswerApi(APIView):
    permission_classes = [IsAuthenticated]
    accept = True

    @extend_schema(request=None, responses=CallAnsweredOut)
    def post(self, request, call_id):
        invitation = services.call_answer(call_id=call_id, user=request.user, accept=self.accept)
        return Response(CallAnsweredOut(invitation).data)


class CallDeclineApi(CallAnswerApi):
    accept = False


class CallHangupApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(request=None, responses=CallStatusOut)
    def post(self, request, call_id):
        call = services.call_hangup(call_id=call_id, actor=request.user)
        return Response(CallStatusOut(call).data)
