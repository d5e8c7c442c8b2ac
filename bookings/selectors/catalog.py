"""Reads of the service catalog (categories, items, checklists) and the units and items a request names."""
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from bookings.models import Category, MaterialRequirement, ServiceItem
from core.errors import NotFound
from stations.models import Unit


def category_list() -> QuerySet[Category]:
    items = ServiceItem.objects.filter(active=True).prefetch_related("requirements").order_by("code")
    return Category.objects.prefetch_related(Prefetch("items", queryset=items)).order_by("sort", "code")


def _items() -> QuerySet[ServiceItem]:
    return ServiceItem.objects.filter(active=True).select_related("category").prefetch_related(
        Prefetch("requirements", queryset=MaterialRequirement.objects.order_by("sort", "pk")))


def item_list(*, category_code: str | None = None, approval_level: str | None = None) -> QuerySet[ServiceItem]:
    items = _items()
    if category_code:
        items = items.filter(category__code=category_code)
    if approval_level:
        items = items.filter(approval_level=approval_level)
    return items.order_by("code")


def item_active_list() -> QuerySet[ServiceItem]:
    """Active items with their checklists (an item's detail page looks one up by id)."""
    return _items()


def unit_not_found() -> NotFound:
    return NotFound(_("找不到该服务机构。"))


def item_not_found() -> NotFound:
    return NotFound(_("找不到该服务事项。"))


def unit_get(pk: int) -> Unit:
    unit = Unit.objects.filter(pk=pk).first()
    if unit is None:
        raise unit_not_found()
    return unit


def item_get(pk: int) -> ServiceItem:
    item = ServiceItem.objects.filter(pk=pk).first()
    if item is None:
        raise item_not_found()
    return item
