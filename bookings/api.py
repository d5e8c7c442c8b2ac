"""Catalog (public, read-only), slots, bookings, materials and the waiting list. Views stay thin."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsResident
from bookings import selectors, services
from bookings.materials import CONTENT_TYPES
from bookings.permissions import CanSeeBooking
from bookings.serializers import (
    BookingCancelIn,
    BookingCreateIn,
    BookingDetailOut,
    BookingListQueryIn,
    BookingOut,
    BookingRescheduleIn,
    CategoryOut,
    ItemOut,
    MaterialIn,
    MaterialOut,
    SlotAnswerOut,
    SlotQueryIn,
    WaitlistIn,
    WaitlistOut,
)
from core.edge import FormParser, MultiPartParser
from core.pagination import StandardPagination


class CategoryListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategoryOut
    pagination_class = None

    def get_queryset(self):
        return selectors.category_list()


@extend_schema(parameters=[OpenApiParameter("category", OpenApiTypes.STR),
                           OpenApiParameter("approval_level", OpenApiTypes.STR)])
class ItemListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ItemOut
    pagination_class = None

    def get_queryset(self):
        params = self.request.query_params
        return selectors.item_list(category_code=params.get("category"), approval_level=params.get("approval_level"))


class ItemDetailApi(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ItemOut

    def get_queryset(self):
        return selectors.item_active_list()


@extend_schema(parameters=[SlotQueryIn], responses=SlotAnswerOut,
               summary="Free slots of a unit for one item (times in Asia/Shanghai)")
class SlotListApi(APIView):
    # Public and the hottest read: no authentication, so a logged-in resident's search does not load the
    # session and the user from the database. The answer is cached by the selector.
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request, pk):
        query = SlotQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        answer = selectors.slot_search(unit_id=pk, item_id=query.validated_data["item"],
                                       date_from=query.validated_data.get("date_from"),
                                       date_to=query.validated_data.get("date_to"))
        return Response(SlotAnswerOut(answer).data)


class BookingListCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = StandardPagination  # also tells the schema that the list is paginated

    @extend_schema(parameters=[OpenApiParameter("unit", OpenApiTypes.INT, description="staff: bookings of a unit"),
                               OpenApiParameter("date", OpenApiTypes.DATE, description="staff: the day"),
                               OpenApiParameter("status", OpenApiTypes.STR)],
                   responses=BookingOut(many=True))
    def get(self, request):
        query = BookingListQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        bookings = selectors.booking_list_for_user(user=request.user, **query.validated_data)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(bookings, request, view=self)
        return paginator.get_paginated_response(BookingOut(page, many=True).data)

    @extend_schema(request=BookingCreateIn, responses={201: BookingDetailOut, 200: BookingDetailOut},
                   parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
                                                required=True, description="one new key per booking attempt")],
                   summary="Book a slot (for oneself, or for a resident: 代办)")
    def post(self, request):
        body = BookingCreateIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        booking, created = services.booking_create_for_user(
            user=request.user, key=request.headers.get("Idempotency-Key", ""), unit_id=data["unit"],
            item_id=data["item"], starts_at=data["starts_at"], resident_identity=data.get("resident"))
        return Response(BookingDetailOut(booking).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class BookingDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BookingDetailOut)
    def get(self, request, pk):
        return Response(BookingDetailOut(selectors.booking_detail_for_user(user=request.user, booking_id=pk)).data)


class BookingCancelApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeBooking]  # outsiders: 404 whatever the body

    @extend_schema(request=BookingCancelIn, responses=BookingDetailOut,
                   summary="Cancel: resident/proxy until the cut-off, unit staff with a reason")
    def post(self, request, pk):
        body = BookingCancelIn(data=request.data)
        body.is_valid(raise_exception=True)
        booking = services.booking_cancel_for_user(user=request.user, booking_id=pk,
                                                   reason=body.validated_data.get("reason", ""))
        return Response(BookingDetailOut(booking).data)


class BookingRescheduleApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeBooking]  # outsiders: 404 whatever the body

    @extend_schema(request=BookingRescheduleIn, responses=BookingDetailOut)
    def post(self, request, pk):
        body = BookingRescheduleIn(data=request.data)
        body.is_valid(raise_exception=True)
        booking = services.booking_reschedule_for_user(user=request.user, booking_id=pk,
                                                       starts_at=body.validated_data["starts_at"])
        return Response(BookingDetailOut(booking).data)


class MaterialUploadApi(APIView):
    permission_classes = [IsAuthenticated, CanSeeBooking]  # outsiders: 404 whatever the body
    parser_classes = [MultiPartParser, FormParser]  # the edge's (core/edge.py)

    @extend_schema(request={"multipart/form-data": MaterialIn}, responses={201: MaterialOut},
                   summary="Upload one document for a checklist entry (JPEG/PNG/HEIC/PDF, ≤10 MB)")
    def post(self, request, pk):
        body = MaterialIn(data=request.data)
        body.is_valid(raise_exception=True)
        material = services.material_add_for_user(user=request.user, booking_id=pk,
                                                  requirement=body.validated_data["requirement"],
                                                  uploaded_file=body.validated_data["file"])
        return Response(MaterialOut(material).data, status=status.HTTP_201_CREATED)


class MaterialFileApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk, material_id):
        material = selectors.material_get_for_user(user=request.user, booking_id=pk, material_id=material_id)
        response = FileResponse(material.file.open("rb"), content_type=CONTENT_TYPES[material.file_type],
                                as_attachment=True, filename=f"material-{material.pk}.{material.file_type}")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class WaitlistApi(APIView):
    permission_classes = [IsResident]

    @extend_schema(responses=WaitlistOut(many=True))
    def get(self, request):
        return Response(WaitlistOut(selectors.waitlist_for_user(user=request.user), many=True).data)

    @extend_schema(request=WaitlistIn, responses={201: WaitlistOut}, summary="Join the waiting list of a full day")
    def post(self, request):
        body = WaitlistIn(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        entry = services.waitlist_join_for_user(user=request.user, unit_id=data["unit"], item_id=data["item"],
                                                date=data["date"])
        return Response(WaitlistOut(entry).data, status=status.HTTP_201_CREATED)


class WaitlistLeaveApi(APIView):
    permission_classes = [IsResident]

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        services.waitlist_leave(entry=selectors.waitlist_entry_for_user(user=request.user, entry_id=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)
