"""Reads of the catalog and bookings."""
from django.db.models import Prefetch, QuerySet

from bookings.models import Category, MaterialRequirement, ServiceItem


def category_list() -> QuerySet[Category]:
    items = ServiceItem.objects.filter(active=True).prefetch_related("requirements").order_by("code")
    return Category.objects.prefetch_related(Prefetch("items", queryset=items)).order_by("sort", "code")


def item_list(*, category_code: str | None = None, approval_level: str | None = None) -> QuerySet[ServiceItem]:
    items = ServiceItem.objects.filter(active=True).select_related("category").prefetch_related(
        Prefetch("requirements", queryset=MaterialRequirement.objects.order_by("sort"))
    )
    if category_code:
        items = items.filter(category__code=category_code)
    if approval_level:
        items = items.filter(approval_level=approval_level)
    return items.order_by("code")
