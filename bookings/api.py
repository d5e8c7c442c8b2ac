"""Catalog (public, read-only), slots, bookings, materials and the waiting list. Views stay thin."""
import datetime

from django.core.cache import cache
from django.db.models import Prefetch, Q
from django.http import FileResponse, HttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsResident
from accounts.validators import normalize_id_number
from bookings import selectors, services
from bookings.conf import booking_setting
from bookings.materials import CONTENT_TYPES
from bookings.models import Booking, BookingEvent, Material, ServiceItem, WaitlistEntry
from bookings.serializers import (
    BookingCancelIn,
    BookingCreateIn,
    BookingDetailOut,
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
from config.edge import FormParser, MultiPartParser
from config.errors import Forbidden, NotFound, ServiceError
from config.pagination import StandardPagination
from stations.models import Unit


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
    queryset = ServiceItem.objects.filter(active=True).prefetch_related("requirements")


# --- Slots and bookings ------------------------------------------------------------------

def _unit_not_found() -> NotFound:
    return NotFound(_("找不到该服务机构。"))


def _item_not_found() -> NotFound:
    return NotFound(_("找不到该服务事项。"))


def _unit(pk) -> Unit:
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise _unit_not_found()
    return unit


def _item(pk) -> ServiceItem:
    item = ServiceItem.objects.filter(pk=pk).first()
    if item is None:
        raise _item_not_found()
    return item


def _booking_detail(booking_id) -> Booking:
    return (Booking.objects.select_related("unit", "item", "resident", "booked_by", "call")
            .prefetch_related(Prefetch("events", queryset=BookingEvent.objects.select_related("actor")),
                              "item__requirements", Prefetch("materials", queryset=Material.objects.select_related(
                                  "requirement"))).get(pk=booking_id))


def _plain_slot_query(params) -> tuple[int, datetime.date | None, datetime.date | None] | None:
    """(item, date_from, date_to) when the parameters are plainly well formed, else None.

    Accepts only what SlotQueryIn accepts (digits; ISO dates read by the same parse_date), so the
    warm path never answers a query that the validated path would refuse.
    """
    item = params.get("item", "")
    if not (item.isascii() and item.isdigit()) or int(item) < 1:  # "²".isdigit() is true; int("²") fails
        return None
    dates = []
    for name in ("date_from", "date_to"):
        value = params.get(name)
        try:
            day = None if value is None else parse_date(value)
        except ValueError:
            return None
        if value is not None and day is None:
            return None
        dates.append(day)
    return int(item), dates[0], dates[1]


def _slot_window(date_from, date_to, now) -> tuple[datetime.date, datetime.date]:
    today = now.astimezone(selectors.local_zone()).date()
    return (date_from or today,
            date_to or today + datetime.timedelta(days=booking_setting("BOOKING_HORIZON_DAYS")))


@extend_schema(parameters=[SlotQueryIn], responses=SlotAnswerOut,
               summary="Free slots of a unit for one item (times in Asia/Shanghai)")
class SlotListApi(APIView):
    # Public and the hottest read: no authentication, so a logged-in resident's search does not load the
    # session and the user from the database; JSON only, so content negotiation has one choice.
    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def dispatch(self, request, *args, **kwargs):
        # The warm path, before DRF wraps the request (a public endpoint: no authentication, permission or
        # throttle to run): a cached answer for plainly well-formed parameters goes out at once. Anything
        # else, a miss included, takes the validated path below.
        query = _plain_slot_query(request.GET) if request.method == "GET" else None
        if query is not None:
            now = timezone.now()
            date_from, date_to = _slot_window(query[1], query[2], now)
            if date_from <= date_to:
                answer_key = selectors.slot_search_key(unit_id=kwargs["pk"], item_id=query[0], date_from=date_from,
                                                       date_to=date_to, now=now)
                body, _versions = selectors.slot_answer_cached(unit_id=kwargs["pk"], answer_key=answer_key)
                if body is not None:
                    return HttpResponse(body, content_type="application/json")
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk):
        query = SlotQueryIn(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        item_id = query.validated_data["item"]
        date_from, date_to = _slot_window(query.validated_data.get("date_from"), query.validated_data.get("date_to"),
                                          now)
        if date_to < date_from:
            raise ValidationError({"date_to": _("结束日期不能早于开始日期。")})
        # The rendered answer is reused while no seat of the unit, its hours/closures or the notice
        # boundary changed: one cache round trip, no database, no rendering.
        answer_key = selectors.slot_search_key(unit_id=pk, item_id=item_id, date_from=date_from, date_to=date_to,
                                               now=now)
        body, (basis_version, seats_version) = selectors.slot_answer_cached(unit_id=pk, answer_key=answer_key)
        if body is None:
            body = JSONRenderer().render(self._answer(pk, item_id, date_from, date_to, now, basis_version))
            cache.set(answer_key, (basis_version, seats_version, body), timeout=selectors.SLOT_BASIS_TTL)
        return HttpResponse(body, content_type="application/json")

    def _answer(self, unit_id, item_id, date_from, date_to, now, basis_version) -> dict:
        basis, item = selectors.slot_basis_cached(unit_id=unit_id, item_id=item_id, now=now, version=basis_version)
        if basis is None:
            raise _unit_not_found()
        if item is None:
            raise _item_not_found()
        if basis.kind not in selectors.BOOKABLE_UNIT_KINDS:
            raise ServiceError(_("该机构不受理视频预约，请选择乡镇服务站或县区工作站。"), code="unit_not_bookable")
        slots = [] if not item["active"] else selectors.slots_from_basis(
            basis=basis, session_minutes=item["session_minutes"], date_from=date_from, date_to=date_to, now=now)
        slots = [s for s in selectors.with_remaining(unit=unit_id, slots=slots) if s.remaining > 0]
        return {"unit": basis.unit_id, "item": item["id"], "time_zone": str(selectors.local_zone()),
                "capacity": basis.video_lines, "slots": [services.slot_as_dict(s) for s in slots]}


class BookingListCreateApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = StandardPagination  # also tells the schema that the list is paginated

    @extend_schema(parameters=[OpenApiParameter("unit", OpenApiTypes.INT, description="staff: bookings of a unit"),
                               OpenApiParameter("date", OpenApiTypes.DATE, description="staff: the day"),
                               OpenApiParameter("status", OpenApiTypes.STR)],
                   responses=BookingOut(many=True))
    def get(self, request):
        params = request.query_params
        if params.get("unit"):
            try:
                unit_id = int(params["unit"])
                day = datetime.date.fromisoformat(params["date"]) if params.get("date") else \
                    timezone.now().astimezone(selectors.local_zone()).date()
            except ValueError:
                raise ValidationError({"unit": _("参数格式不正确：unit 为机构编号，date 为 YYYY-MM-DD。")}) from None
            if not selectors.is_staff_of_unit(user=request.user, unit_id=unit_id, agent_only=True):
                raise Forbidden(_("只有该机构的窗口工作人员可以查看其预约列表。"))
            bookings = selectors.booking_list_for_unit(unit_id=unit_id, day=day)
        else:
            bookings = (Booking.objects.filter(Q(resident=request.user) | Q(booked_by=request.user))
                        .select_related("unit", "item", "resident", "booked_by").order_by("-starts_at", "-pk"))
        if params.get("status"):
            bookings = bookings.filter(status=params["status"])
        bookings = bookings.select_related("call").prefetch_related("item__requirements", "materials")
        paginator = self.pagination_class()
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
        identity = data.get("resident")
        if identity is None and not request.user.is_resident:
            raise ServiceError(_("工作人员代办预约时请填写参保人姓名和身份证号。"), code="resident_required")
        starts_at = data["starts_at"]
        fingerprint = {
            "unit": data["unit"], "item": data["item"],
            "starts_at": starts_at.astimezone(datetime.UTC).isoformat(),
            "resident": None if identity is None else {
                "real_name": identity["real_name"].strip(),
                "id_number": normalize_id_number(identity["id_number"]),
                "phone": (identity.get("phone") or "").strip()},
        }
        target = selectors.booking_target(unit_id=data["unit"], item_id=data["item"],
                                          day=starts_at.astimezone(selectors.local_zone()).date())
        if target is None:
            raise _unit_not_found()
        if target.item is None:
            raise _item_not_found()
        booking, created = services.booking_create_idempotent(
            user=request.user, key=request.headers.get("Idempotency-Key", ""), payload=fingerprint,
            unit=target.unit, item=target.item, starts_at=starts_at, resident_identity=fingerprint["resident"],
            day_basis=target.day)
        if not created:
            return Response(BookingDetailOut(_booking_detail(booking.pk)).data, status=status.HTTP_200_OK)
        # A new booking: unit, item, people, call and its one event are in memory, and it has no materials yet.
        booking._materials_cache = []
        booking._checklist_cache = selectors.item_checklist(booking.item_id)
        return Response(BookingDetailOut(booking).data, status=status.HTTP_201_CREATED)


class BookingDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=BookingDetailOut)
    def get(self, request, pk):
        booking = selectors.booking_get_for_user(user=request.user, booking_id=pk)
        return Response(BookingDetailOut(_booking_detail(booking.pk)).data)


class BookingCancelApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=BookingCancelIn, responses=BookingDetailOut,
                   summary="Cancel: resident/proxy until the cut-off, unit staff with a reason")
    def post(self, request, pk):
        booking = selectors.booking_get_for_user(user=request.user, booking_id=pk)
        body = BookingCancelIn(data=request.data)
        body.is_valid(raise_exception=True)
        services.booking_cancel(booking=booking, actor=request.user, reason=body.validated_data.get("reason", ""))
        return Response(BookingDetailOut(_booking_detail(booking.pk)).data)


class BookingRescheduleApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=BookingRescheduleIn, responses=BookingDetailOut)
    def post(self, request, pk):
        booking = selectors.booking_get_for_user(user=request.user, booking_id=pk)
        body = BookingRescheduleIn(data=request.data)
        body.is_valid(raise_exception=True)
        services.booking_reschedule(booking=booking, actor=request.user, starts_at=body.validated_data["starts_at"])
        return Response(BookingDetailOut(_booking_detail(booking.pk)).data)


class MaterialUploadApi(APIView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]  # the edge's (config/edge.py)

    @extend_schema(request={"multipart/form-data": MaterialIn}, responses={201: MaterialOut},
                   summary="Upload one document for a checklist entry (JPEG/PNG/HEIC/PDF, ≤10 MB)")
    def post(self, request, pk):
        booking = selectors.booking_get_for_user(user=request.user, booking_id=pk)
        body = MaterialIn(data=request.data)
        body.is_valid(raise_exception=True)
        staff = selectors.is_staff_of_unit(user=request.user, unit_id=booking.unit_id)
        material = services.material_add(
            booking=booking, requirement=body.validated_data["requirement"],
            uploaded_file=body.validated_data["file"], uploaded_by=request.user,
            source=Material.Source.STAFF if staff else Material.Source.UPLOAD)
        return Response(MaterialOut(material).data, status=status.HTTP_201_CREATED)


class MaterialFileApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk, material_id):
        material = Material.objects.select_related("booking").filter(pk=material_id, booking_id=pk).first()
        if material is None or not selectors.material_readable_by(request.user, material):
            raise NotFound(_("找不到该材料。"), code="material_not_found")
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
        entry = services.waitlist_join(resident=request.user, unit=_unit(data["unit"]), item=_item(data["item"]),
                                       date=data["date"])
        return Response(WaitlistOut(entry).data, status=status.HTTP_201_CREATED)


class WaitlistLeaveApi(APIView):
    permission_classes = [IsResident]

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        entry = WaitlistEntry.objects.filter(pk=pk, resident=request.user).first()
        if entry is None:
            raise NotFound(_("找不到该候补记录。"))
        services.waitlist_leave(entry=entry)
        return Response(status=status.HTTP_204_NO_CONTENT)
