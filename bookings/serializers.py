"""Output shapes of the catalog."""
from rest_framework import serializers

from bookings.models import Category, MaterialRequirement, ServiceItem


class RequirementOut(serializers.ModelSerializer):
    class Meta:
        model = MaterialRequirement
        fields = ["id", "code", "name", "name_en", "mandatory", "accepted_types", "hint", "hint_en"]


class ItemOut(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    materials = RequirementOut(source="requirements", many=True, read_only=True)

    class Meta:
        model = ServiceItem
        fields = ["id", "code", "category", "name", "name_en", "description", "description_en", "approval_level",
                  "time_limit_days", "session_minutes", "fully_by_video", "form_fields", "materials"]


class ItemBriefOut(serializers.ModelSerializer):
    class Meta:
        model = ServiceItem
        fields = ["id", "code", "name", "name_en", "approval_level", "time_limit_days", "session_minutes",
                  "fully_by_video"]


class CategoryOut(serializers.ModelSerializer):
    items = ItemBriefOut(many=True, read_only=True)
    owner_department = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Category
        fields = ["id", "code", "name", "name_en", "sort", "owner_department", "items"]
