"""Catalog and bookings API (mounted under /api/v1/)."""
from django.urls import path

from bookings import api

urlpatterns = [
    path("catalog/categories/", api.CategoryListApi.as_view(), name="category-list"),
    path("catalog/items/", api.ItemListApi.as_view(), name="item-list"),
    path("catalog/items/<int:pk>/", api.ItemDetailApi.as_view(), name="item-detail"),
    path("units/<int:pk>/slots/", api.SlotListApi.as_view(), name="unit-slots"),
    path("bookings/", api.BookingListCreateApi.as_view(), name="booking-list"),
    path("bookings/<int:pk>/", api.BookingDetailApi.as_view(), name="booking-detail"),
    path("bookings/<int:pk>/cancel/", api.BookingCancelApi.as_view(), name="booking-cancel"),
    path("bookings/<int:pk>/reschedule/", api.BookingRescheduleApi.as_view(), name="booking-reschedule"),
    path("bookings/<int:pk>/materials/", api.MaterialUploadApi.as_view(), name="booking-materials"),
    path("bookings/<int:pk>/materials/<int:material_id>/file", api.MaterialFileApi.as_view(),
         name="booking-material-file"),
    path("waitlist/", api.WaitlistApi.as_view(), name="waitlist"),
    path("waitlist/<int:pk>/", api.WaitlistLeaveApi.as_view(), name="waitlist-leave"),
]
