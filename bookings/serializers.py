"""Input and output shapes of the catalog and bookings."""
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import PersonNameField
from bookings import selectors
from bookings.models import BookingStatus, Category, Material, MaterialRequirement, ServiceItem, WaitlistEntry


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


# --- Bookings: input --------------------------------------------------------------------

class SlotQueryIn(serializers.Serializer):
    item = serializers.IntegerField(min_value=1)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class ProxyResidentIn(serializers.Serializer):
    real_name = PersonNameField(label=_("参保人姓名"))
    # Normalised and checked by the service (resident_for_proxy), which answers id_number_invalid.
    id_number = serializers.CharField(max_length=40, label=_("参保人身份证号"))
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, label=_("参保人手机号"))


class BookingCreateIn(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1)
    item = serializers.IntegerField(min_value=1)
    starts_at = serializers.DateTimeField()
    resident = ProxyResidentIn(required=False, help_text="代办: the resident booked for")


class BookingListQueryIn(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1, required=False, source="unit_id",
                                    help_text="staff: the bookings of this unit")
    date = serializers.DateField(required=False, source="day", help_text="staff: the day (default today)")
    status = serializers.CharField(max_length=16, required=False)


class BookingCancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class BookingRescheduleIn(serializers.Serializer):
    starts_at = serializers.DateTimeField()


class MaterialIn(serializers.Serializer):
    requirement = serializers.CharField(max_length=40, help_text="checklist entry code, e.g. id_card")
    file = serializers.FileField(allow_empty_file=False)


class WaitlistIn(serializers.Serializer):
    unit = serializers.IntegerField(min_value=1)
    item = serializers.IntegerField(min_value=1)
    date = serializers.DateField()


# --- Bookings: output -------------------------------------------------------------------

class SlotOut(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField()


class SlotAnswerOut(serializers.Serializer):
    unit = serializers.IntegerField()
    item = serializers.IntegerField()
    time_zone = serializers.CharField()
    capacity = serializers.IntegerField()
    slots = SlotOut(many=True)


class MaterialOut(serializers.ModelSerializer):
    requirement = serializers.SlugRelatedField(slug_field="code", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = ["id", "requirement", "file_type", "size", "sha256", "source", "uploaded_at", "download_url"]

    def get_download_url(self, material) -> str:
        return f"/api/v1/bookings/{material.booking_id}/materials/{material.pk}/file"


class EventOut(serializers.Serializer):
    from_status = serializers.ChoiceField(choices=BookingStatus.choices, allow_blank=True, required=False)
    to_status = serializers.ChoiceField(choices=BookingStatus.choices)
    actor = serializers.SerializerMethodField()
    reason = serializers.CharField(allow_blank=True, required=False, max_length=200)
    at = serializers.DateTimeField(read_only=True)

    def get_actor(self, event) -> str:
        return str(event.actor) if event.actor_id else ""


class BookingUnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class BookingItemOut(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    session_minutes = serializers.IntegerField()


class BookingResidentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="real_name")
    phone = serializers.CharField(source="masked_phone")
    id_number = serializers.CharField(source="masked_id_number")


class BookingPersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")


class BookingOut(serializers.Serializer):
    """A booking as its parties and the unit's staff see it (with booking_detail or booking_list_for_user's
    related rows and prefetches)."""

    id = serializers.IntegerField(read_only=True)
    unit = BookingUnitOut()
    item = BookingItemOut()
    resident = BookingResidentOut()
    booked_by = BookingPersonOut()
    is_proxy = serializers.BooleanField(source="is_proxy_booking")
    starts_at = serializers.DateTimeField(label=_("开始时间"))
    ends_at = serializers.DateTimeField(label=_("结束时间"))
    status = serializers.ChoiceField(choices=BookingStatus.choices, label=_("状态"), required=False)
    status_display = serializers.CharField(source="get_status_display")
    call_id = serializers.SerializerMethodField()
    missing_mandatory = serializers.SerializerMethodField(help_text="codes of missing materials")
    change_deadline = serializers.SerializerMethodField(
        help_text="the resident may cancel or reschedule until then")
    created_at = serializers.DateTimeField(read_only=True)

    def get_call_id(self, booking) -> str | None:
        call = getattr(booking, "call", None)  # no call yet: Django's RelatedObjectDoesNotExist is an AttributeError
        return None if call is None else str(call.pk)

    def get_missing_mandatory(self, booking) -> list[str]:
        return [requirement.code for requirement in selectors.booking_missing_mandatory(booking)]

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_change_deadline(self, booking) -> str:
        return serializers.DateTimeField().to_representation(selectors.booking_change_deadline(booking))


class ChecklistEntryOut(RequirementOut):
    uploaded = MaterialOut(many=True)
    missing = serializers.BooleanField()

    class Meta(RequirementOut.Meta):
        fields = [*RequirementOut.Meta.fields, "uploaded", "missing"]


class BookingDetailOut(BookingOut):
    checklist = serializers.SerializerMethodField(
        help_text="the item's materials checklist, with what was uploaded per entry")
    events = EventOut(many=True, read_only=True)

    @extend_schema_field(ChecklistEntryOut(many=True))
    def get_checklist(self, booking) -> list[dict]:
        materials = list(booking.materials.all())
        missing = {requirement.pk for requirement in selectors.booking_missing_mandatory(booking)}
        checklist = []
        for requirement in booking.item.requirements.all():
            uploaded = [m for m in materials if m.requirement_id == requirement.pk]
            checklist.append({**RequirementOut(requirement).data, "uploaded": MaterialOut(uploaded, many=True).data,
                              "missing": requirement.pk in missing})
        extra = [m for m in materials if m.requirement_id is None]
        if extra:
            checklist.append({"id": None, "code": "", "name": str(_("其他材料")), "mandatory": False,
                              "uploaded": MaterialOut(extra, many=True).data, "missing": False})
        return checklist


class WaitlistOut(serializers.ModelSerializer):
    unit = serializers.SerializerMethodField()
    item = serializers.SerializerMethodField()

    class Meta:
        model = WaitlistEntry
        fields = ["id", "unit", "item", "date", "status", "offered_starts_at", "offer_expires_at", "booking",
                  "created_at"]

    def get_unit(self, entry) -> dict:
        return {"id": entry.unit_id, "name": entry.unit.name}

    def get_item(self, entry) -> dict:
        return {"id": entry.item_id, "code": entry.item.code, "name": entry.item.name}
