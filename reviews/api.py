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


def _detail(case, status_code=status.HTTP_200_OK) -> Response:
    case = selectors.case_get_for_user_unchecked(case_id=case.pk)
    return Response(CaseDetailOut(case).data, status=status_code)


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
        case = services.case_open(actor=request.user, **data.validated_data)
        return _detail(case, status.HTTP_201_CREATED)


class CaseDetailApi(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = CaseDetailOut

    def get(self, request, pk: int):
        return Response(CaseDetailOut(selectors.case_get_for_user(user=request.user, case_id=pk)).data)

    @extend_schema(request=CaseFormIn, responses=CaseDetailOut)
    def patch(self, request, pk: int):
        case = selectors.case_get_for_user(user=request.user, case_id=pk)
        data = CaseFormIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.case_form_update(case=case, actor=request.user, form_data=data.validated_data["form_data"])
        return _detail(case)


class CaseSubmitApi(GenericAPIView):
    """Submit a draft, or resubmit after the reviewer asked for more materials."""

    permission_classes = [IsAuthenticated]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        case = selectors.case_row_for_user(user=request.user, case_id=pk)
        case = services.case_submit(case=case, actor=request.user)
        return _detail(case)


class CaseMaterialAttachApi(GenericAPIView):
    """Attach one of the resident's uploaded materials (bookings' file store) to the case."""

    permission_classes = [IsAuthenticated]
    serializer_class = CaseDetailOut

    @extend_schema(request=MaterialAttachIn, responses={201: CaseDetailOut})
    def post(self, request, pk: int):
        case = selectors.case_get_for_user(user=request.user, case_id=pk)
        data = MaterialAttachIn(data=request.data)
        data.is_valid(raise_exception=True)
        material = selectors.material_to_attach(material_id=data.validated_data["material_id"])
        services.case_material_attach(case=case, actor=request.user, material=material)
        return _detail(case, status.HTTP_201_CREATED)


class CaseConsentApi(GenericAPIView):
    """The resident consents (from her own phone), or the agent records her consent in a live call with her,
    to the opening unit seeing her personal data through a walk-in case. Recorded in the case timeline."""

    permission_classes = [IsAuthenticated]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        case = selectors.case_get_for_user(user=request.user, case_id=pk)
        return _detail(services.case_consent_grant(case=case, actor=request.user))


class CaseClaimApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        case = selectors.case_get_for_user(user=request.user, case_id=pk)
        return _detail(services.case_claim(case=case, reviewer=request.user))


class CaseReleaseApi(GenericAPIView):
    permission_classes = [IsStaffMember]
    serializer_class = CaseDetailOut

    @extend_schema(request=None, responses=CaseDetailOut)
    def post(self, request, pk: int):
        case = selectors.case_get_for_user(user=request.user, case_id=pk)
        return _detail(services.case_release(case=case, reviewer=request.user))


class CaseDecisionApi(GenericAPIView):
    """Approve, reject (with a reason) or request more materials (naming the checklist codes)."""

    permission_classes = [IsStaffMember]
    serializer_class = CaseDetailOut

    @extend_schema(request=DecisionIn, responses=CaseDetailOut)
    def post(self, request, pk: int):
        case = selectors.case_get_for_user(user=request.user, case_id=pk)
        data = DecisionIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = services.case_decide(case=case, reviewer=request.user, decision=values["decision"],
                                    reason=values["reason"], materials=values["materials"],
                                    confirmation_code=values["confirmation_code"])
        return _detail(case)


class CaseDecisionConfirmationApi(GenericAPIView):
    """Step one of an approval or rejection: shows what will be sealed and texts the reviewer a confirmation code."""

    permission_classes = [IsStaffMember]
    serializer_class = ConfirmationOut

    @extend_schema(request=ConfirmationIn, responses=ConfirmationOut)
    def post(self, request, pk: int):
        case = selectors.case_get_for_user(user=request.user, case_id=pk)
        data = ConfirmationIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.case_decision_confirmation(case=case, reviewer=request.user, **data.validated_data)
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
