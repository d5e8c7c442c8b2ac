"""Loading the service catalog (categories, items, their materials checklists) idempotently."""
from django.db import transaction

from bookings.models import Category, MaterialRequirement, ServiceItem
from core.dataload import LoadReport, upsert
from stations.models import Unit


@transaction.atomic
def catalog_load(*, data: dict, department_of_category: dict[str, str]) -> LoadReport:
    report = LoadReport()
    departments = {u.code: u for u in Unit.objects.filter(kind=Unit.Kind.CITY_DEPARTMENT)}
    for category_entry in data["categories"]:
        owner = departments.get(department_of_category.get(category_entry["code"], ""))
        category = upsert(Category, lookup={"code": category_entry["code"]}, values={
            "name": category_entry["name"], "name_en": category_entry.get("name_en", ""),
            "sort": category_entry.get("sort", 0), "owner_department": owner}, report=report)
        for item_entry in category_entry["items"]:
            item = upsert(ServiceItem, lookup={"code": item_entry["code"]}, values={
                "category": category, "name": item_entry["name"], "name_en": item_entry.get("name_en", ""),
                "description": item_entry.get("description", ""),
                "description_en": item_entry.get("description_en", ""),
                "approval_level": item_entry["approval_level"], "time_limit_days": item_entry["time_limit_days"],
                "session_minutes": item_entry["session_minutes"], "fully_by_video": item_entry["fully_by_video"],
                "form_fields": item_entry.get("form_fields", [])}, report=report)
            for sort, material in enumerate(item_entry.get("materials", [])):
                upsert(MaterialRequirement, lookup={"item": item, "code": material["code"]}, values={
                    "name": material["name"], "name_en": material.get("name_en", ""),
                    "mandatory": material["mandatory"], "accepted_types": material["types"],
                    "hint": material.get("hint", ""), "hint_en": material.get("hint_en", ""), "sort": sort},
                    report=report)
    return report
