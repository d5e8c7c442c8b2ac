"""Reviews API: cases (open, submit, materials), the reviewer's desk (queue, claim, release, decision), statistics.

Thin views: they check the input, call one selector or service, and shape the output.
"""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.permissions import IsAdministrator, IsStaffMember
from reviews import selectors, services
from reviews.permissions import CanSeeCase
from reviews.serializers import (
    CaseCreateIn,
    CaseDetailOut,
    CaseFormIn,
    CaseOut,
    ConfirmationIn,
    ConfirmationOut,
    DecisionIn,
    MaterialAttachIn,
    StatsOut,
    StatsQueryIn,
)


class CaseListQueryIn(serializers.Serializer):
    resident = serializers.IntegerField(required=False, min_value=1)
    undecided = serializers.BooleanField(required=False)


class CaseListCreateApi(GenericAPIView):
    """Residents list their own cases; staff the cases of their units. Agents open cases."""

    permission_classes = [IsAuthenticated]
    serializer_class = CaseOut

    @extend_schema(parameters=[OpenApiParameter("status", OpenApiTypes.STR),
                               OpenApiParameter("resident", OpenApiTypes.INT, description="one resident's cases"),
                               OpenApiParameter("undecided", OpenApiTypes.BOOL,
                                                description="only cases not yet approved or rejected")],
                   responses=CaseOut(many=True))
    def get(self, request):
        query = CaseListQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        cases = selectors.case_list_for_user(user=request.user, status=request.query_params.get("status"),
                                             resident_id=query.validated_data.get("resident"),
                                             undecided=query.validated_data.get("undecided", False))
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(CaseOut(page, many=True).data)

    @extend_schema(request=CaseCreateIn, responses={201: CaseDetailOut})
    def post(self, request):
        data = CaseCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_open_for_user(user=request.user, **data.validated_data)
        return Response(CaseDetailOut(case).data, status=status.HTTP_201_CREATED)


class CaseDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticated, CanSeeCase]  # outsiders: 404 whatever the body
    serializer_class = CaseDetailOut

    def get(self, request, pk: int):
        return Response(CaseDetailOut(selectors.case_detail_for_user(user=request.user, case_id=pk)).data)

    @extend_schema(request=CaseFormIn, responses=CaseDetailOut)
    def patch(self, request, pk: int):
        data = CaseFormIn(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_form_update_for_user(user=request.user, case_id=pk,
                                                  form_data=data.validated_data["form_data"])
        return Response(CaseDetailOut(case).data)


class CaseSubmitApi(GenericAPIView):
    """Submit a draft, or resubmit after the reviewer asked for more materials."""

    permission_classes = [IsAuthenticated]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        return Response(CaseDetailOut(services.case_submit_for_user(user=request.user, case_id=pk)).data)


class CaseMaterialAttachApi(GenericAPIView):
    """Attach one of the resident's uploaded materials (bookings' file store) to the case."""

    permission_classes = [IsAuthenticated, CanSeeCase]  # outsiders: 404 whatever the body
    serializer_class = CaseDetailOut

    @extend_schema(request=MaterialAttachIn, responses={201: CaseDetailOut})
    def post(self, request, pk: int):
        data = MaterialAttachIn(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_material_attach_for_user(user=request.user, case_id=pk,
                                                      material_id=data.validated_data["material_id"])
        return Response(CaseDetailOut(case).data, status=status.HTTP_201_CREATED)


class CaseConsentApi(GenericAPIView):
    """The resident consents (from her own phone), or the agent records her consent in a live call with her,
    to the opening unit seeing her personal data through a walk-in case. Recorded in the case timeline."""

    permission_classes = [IsAuthenticated]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        return Response(CaseDetailOut(services.case_consent_grant_for_user(user=request.user, case_id=pk)).data)


class CaseClaimApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        return Response(CaseDetailOut(services.case_claim_for_user(user=request.user, case_id=pk)).data)


class CaseReleaseApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        return Response(CaseDetailOut(services.case_release_for_user(user=request.user, case_id=pk)).data)


class CaseDecisionApi(GenericAPIView):
    """Approve, reject (with a reason) or request more materials (naming the checklist codes)."""

    permission_classes = [IsStaffMember, CanSeeCase]  # outsiders: 404 whatever the body
    serializer_class = CaseDetailOut

    @extend_schema(request=DecisionIn, responses=CaseDetailOut)
    def post(self, request, pk: int):
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_decide_for_user(user=request.user, case_id=pk, **data.validated_data)
        return Response(CaseDetailOut(case).data)


class CaseDecisionConfirmationApi(GenericAPIView):
    """Step one of an approval or rejection: shows what will be sealed and texts the reviewer a confirmation code."""

    permission_classes = [IsStaffMember, CanSeeCase]  # outsiders: 404 whatever the body
    serializer_class = ConfirmationOut

    @extend_schema(request=ConfirmationIn, responses=ConfirmationOut)
    def post(self, request, pk: int):
        data = ConfirmationIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.case_decision_confirmation_for_user(user=request.user, case_id=pk, **data.validated_data)
        return Response(ConfirmationOut(result).data)


class ReviewQueueApi(GenericAPIView):
    """The reviewer's desk: my cases and my units' unassigned ones, soonest deadline first."""

    permission_classes = [IsStaffMember]
    serializer_class = CaseOut

    @extend_schema(parameters=[
        OpenApiParameter("status", OpenApiTypes.STR),
        OpenApiParameter("sla_state", OpenApiTypes.STR, enum=["on_time", "due_soon", "overdue"]),
        OpenApiParameter("scope", OpenApiTypes.STR, enum=["mine", "unit"]),
    ], responses=CaseOut(many=True))
    def get(self, request):
        params = request.query_params
        cases = selectors.review_queue(user=request.user, status=params.get("status"),
                                       sla_state=params.get("sla_state"), scope=params.get("scope"))
        page = self.paginate_queryset(cases)
        return self.get_paginated_response(CaseOut(page, many=True).data)


class StatsApi(GenericAPIView):
    """The bureau's figures per service item, reviewing unit and county."""

    permission_classes = [IsAdministrator]
    serializer_class = StatsOut

    @extend_schema(parameters=[StatsQueryIn], responses=StatsOut)
    def get(self, request):
        query = StatsQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(StatsOut(selectors.case_statistics(**query.validated_data)).data)
