"""Template helpers: pick the English field of a catalog row when the page is in English."""
from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized(row, field: str):
    """`{{ item|localized:"name" }}` → item.name_en on English pages when it is set, else item.name."""
    if row is None:
        return ""
    getter = row.get if isinstance(row, dict) else (lambda key, default="": getattr(row, key, default))
    if (get_language() or "").startswith("en"):
        english = getter(f"{field}_en", "")
        if english:
            return english
    return getter(field, "")
