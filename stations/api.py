"""The organisation directory: public, read-only."""
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny

from stations import selectors
from stations.models import Division, Unit
from stations.serializers import DivisionOut, UnitOut


def parse_near(raw: str) -> tuple[float, float]:
    try:
        lat_text, lng_text = raw.split(",")
        lat, lng = float(lat_text), float(lng_text)
    except ValueError:
        raise ValidationError({"near": _("near 参数格式应为 纬度,经度，例如 35.23,115.47。")}) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ValidationError({"near": _("经纬度超出范围。")})
    return lat, lng


@extend_schema(parameters=[
    OpenApiParameter("kind", OpenApiTypes.STR, enum=[k for k, _ in Unit.Kind.choices]),
    OpenApiParameter("county", OpenApiTypes.STR, description="county division code, e.g. 371702"),
    OpenApiParameter("near", OpenApiTypes.STR, description="lat,lng: nearest first"),
])
class UnitListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UnitOut

    def get_queryset(self):
        kind = self.request.query_params.get("kind")
        if kind and kind not in Unit.Kind.values:
            raise ValidationError({"kind": _("未知的机构类型：%(kind)s") % {"kind": kind}})
        units = selectors.unit_list(kind=kind, county_code=self.request.query_params.get("county"))
        near = self.request.query_params.get("near")
        if near:
            lat, lng = parse_near(near)
            return selectors.units_nearest(units, lat=lat, lng=lng)
        return units


class UnitDetailApi(generics.RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = UnitOut
    queryset = Unit.objects.filter(active=True).select_related("county", "township")


@extend_schema(parameters=[OpenApiParameter("parent", OpenApiTypes.STR), OpenApiParameter("level", OpenApiTypes.STR)])
class DivisionListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = DivisionOut
    pagination_class = None
    queryset = Division.objects.none()

    def get_queryset(self):
        params = self.request.query_params
        return selectors.division_list(parent_code=params.get("parent"), level=params.get("level")).select_related(
            "parent"
        )
