"""The organisation directory: public, read-only."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from stations import selectors
from stations.models import Division, Unit
from stations.serializers import DivisionOut, UnitOut, UnitQueryIn


@extend_schema(parameters=[UnitQueryIn])
class UnitListApi(generics.ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = UnitOut

    def get_queryset(self):
        query = UnitQueryIn(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.unit_search(**query.validated_data)


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
