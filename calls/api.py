"""Calls API: ICE servers, start / answer / invite / hang up, the call log, the day's calls. Thin views."""
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffMember
from calls import selectors, services
from calls.models import Call
from core.errors import Forbidden, ServiceError
from stations.selectors import user_unit_ids


class CallStartIn(serializers.Serializer):
    unit_id = serializers.IntegerField(required=False, help_text="calling unit (one of the caller's units)")
    resident_id = serializers.IntegerField(required=False)
    resident_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    resident_name = serializers.CharField(required=False, allow_blank=True, max_length=40)
    unit_ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=3)
    case_id = serializers.IntegerField(required=False, allow_null=True)
    topic = serializers.CharField(required=False, allow_blank=True, max_length=120)


class InviteIn(serializers.Serializer):
    user_id = serializers.IntegerField(required=False)
    unit_id = serializers.IntegerField(required=False)


class CallSummaryOut(serializers.ModelSerializer):
    """One row of the day's calls: everything the console and the desk show, without a request per call."""
    host_unit_name = serializers.CharField(source="host_unit.name")
    outcome = serializers.SerializerMethodField(help_text="answered / missed / declined / ringing / ongoing / "
                                                          "scheduled / not_connected")
    duration_seconds = serializers.SerializerMethodField()
    resident = serializers.SerializerMethodField(help_text="the booking's or the called resident, name masked")
    resident_id = serializers.SerializerMethodField(help_text="that resident's account (for their cases)")
    invitations = serializers.SerializerMethodField(help_text="who was called or invited, and how each answered")
    may_make_case = serializers.SerializerMethodField(help_text="the viewer may turn this call into a case")

    class Meta:
        model = Call
        fields = ["id", "kind", "status", "outcome", "host_unit", "host_unit_name", "booking", "case_id", "topic",
                  "created_at", "started_at", "ended_at", "duration_seconds", "resident", "resident_id", "invitations",
                  "may_make_case"]

    def get_outcome(self, call) -> str:
        return selectors.call_outcome(call)

    def get_duration_seconds(self, call) -> int:
        return selectors.call_duration_seconds(call, self.context["now"])

    def get_resident(self, call) -> str | None:
        return selectors.shown_name(self._resident(call))

    def get_resident_id(self, call) -> int | None:
        resident = self._resident(call)
        return resident.pk if resident else None

    @staticmethod
    def _resident(call):
        return call.booking.resident if call.booking_id else selectors.called_resident(call)

    def get_invitations(self, call) -> list[dict]:
        return [selectors.invitation_summary(invitation) for invitation in call.invitations.all()]

    def get_may_make_case(self, call) -> bool:
        return selectors.may_make_case(call=call, agent_unit_ids=self.context["agent_unit_ids"])


class IceServersApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(parameters=[OpenApiParameter("call", OpenApiTypes.UUID, description="credentials valid for "
                                                "this call's length")], responses=OpenApiTypes.OBJECT)
    def get(self, request):
        call = None
        if request.query_params.get("call"):
            call = selectors.call_get_for_user(call_id=request.query_params["call"], user=request.user)
            if selectors.call_room_role(call=call, user=request.user) is None:
                raise Forbidden(_("您无权进入此通话。"))
        return Response(selectors.ice_servers(user=request.user, call=call))


class CallListApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(parameters=[OpenApiParameter("date", OpenApiTypes.DATE, description="default today")],
                   responses=CallSummaryOut(many=True))
    def get(self, request):
        raw = request.query_params.get("date")
        try:
            day = date.fromisoformat(raw) if raw else timezone.localdate()
        except ValueError:
            raise ServiceError(_("日期格式应为 YYYY-MM-DD。"), code="bad_date")
        services.call_sweep()  # the check on read: missed calls show as missed even between beat runs
        calls = selectors.call_list_for_day(user=request.user, day=day)
        context = {"now": timezone.now(), "agent_unit_ids": user_unit_ids(user=request.user, agent=True)}
        return Response(CallSummaryOut(calls, many=True, context=context).data)

    @extend_schema(request=CallStartIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = CallStartIn(data=request.data)
        data.is_valid(raise_exception=True)
        call = services.call_start(caller=request.user, **data.validated_data)
        return Response(selectors.call_detail(call=call), status=status.HTTP_201_CREATED)


class CallDetailApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, call_id):
        call = selectors.call_get_for_user(call_id=call_id, user=request.user)
        if not selectors.may_view(call=call, user=request.user):
            raise Forbidden(_("您无权查看此通话。"))
        call = services.call_refresh(call=call)
        return Response(selectors.call_detail(call=call))


class CallInviteApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(request=InviteIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, call_id):
        data = InviteIn(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = services.call_invite(call_id=call_id, actor=request.user, **data.validated_data)
        return Response({"call_id": str(invitation.call_id), "user_id": invitation.user_id,
                         "unit_id": invitation.unit_id, "status": invitation.status,
                         "rings_until": invitation.rings_until}, status=status.HTTP_201_CREATED)


class CallAnswerApi(APIView):
    permission_classes = [IsAuthenticated]
    accept = True

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, call_id):
        invitation = services.call_answer(call_id=call_id, user=request.user, accept=self.accept)
        return Response({"call_id": str(invitation.call_id), "status": invitation.status,
                         "room": f"/ws/calls/{invitation.call_id}/"})


class CallDeclineApi(CallAnswerApi):
    accept = False


class CallHangupApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(request=None, responses=OpenApiTypes.OBJECT)
    def post(self, request, call_id):
        call = services.call_hangup(call_id=call_id, actor=request.user)
        return Response({"call_id": str(call.pk), "status": call.status})
