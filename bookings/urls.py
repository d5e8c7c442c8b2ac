"""Catalog and bookings API (mounted under /api/v1/)."""
from django.urls import path

from bookings import api

urlpatterns = [
    path("catalog/categories/", api.CategoryListApi.as_view(), name="category-list"),
    path("catalog/items/", api.ItemListApi.as_view(), name="item-list"),
    path("catalog/items/<int:pk>/", api.ItemDetailApi.as_view(), name="item-detail"),
]
