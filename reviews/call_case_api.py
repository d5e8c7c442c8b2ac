"""POST /api/v1/calls/{call_id}/case/: a call's case, linked or opened (services in reviews/from_call.py)."""
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStaffMember
from bookings.models import ServiceItem
from reviews.from_call import case_create_from_call, case_link_to_call


class CallCaseIn(serializers.Serializer):
    case_id = serializers.IntegerField(required=False, help_text="link an existing case")
    item = serializers.PrimaryKeyRelatedField(queryset=ServiceItem.objects.filter(active=True), required=False,
                                              help_text="or open a new case of this item for the called resident")
    form_data = serializers.DictField(required=False)

    def validate(self, attrs):
        if ("case_id" in attrs) == ("item" in attrs):
            raise serializers.ValidationError(_("请提供要关联的案件编号，或选择服务事项以新建案件（二选一）。"))
        return attrs


class CallCaseOut(serializers.Serializer):
    call_id = serializers.UUIDField(source="pk")
    case_id = serializers.IntegerField()


class CallCaseApi(APIView):
    permission_classes = [IsStaffMember]

    @extend_schema(request=CallCaseIn, responses={200: CallCaseOut, 201: CallCaseOut})
    def post(self, request, call_id):
        data = CallCaseIn(data=request.data)
        data.is_valid(raise_exception=True)
        if "case_id" in data.validated_data:
            call = case_link_to_call(call_id=call_id, actor=request.user, case_id=data.validated_data["case_id"])
            return Response(CallCaseOut(call).data)
        call = case_create_from_call(call_id=call_id, actor=request.user, item=data.validated_data["item"],
                                     form_data=data.validated_data.get("form_data"))
        return Response(CallCaseOut(call).data, status=201)
