"""Catalog API: public, read-only."""
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny

from bookings import selectors
from bookings.models import ServiceItem
from bookings.serializers import CategoryOut, ItemOut


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
