"""Input and output shapes of the catalog and bookings."""
import datetime

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.serializers import PersonNameField
from bookings.conf import booking_setting
from bookings.models import BookingStatus, Category, Material, MaterialRequirement, ServiceItem, WaitlistEntry


class RequirementOut(serializers.ModelSerializer):
    class Meta:
        model = MaterialRequirement
        fields = ["id", "code", "name", "name_en", "mandatory", "accepted_types", "hint", "hint_en"]

    def to_representation(self, requirement) -> dict:
        # By hand, like the booking answers below (every booking's answer carries its checklist).
        return {name: getattr(requirement, name) for name in self.Meta.fields}


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
    requirement = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = ["id", "requirement", "file_type", "size", "sha256", "source", "uploaded_at", "download_url"]

    def get_requirement(self, material) -> str | None:
        # The code, without a query per material: requirements are few and already read with the booking.
        requirement = material.requirement if "requirement" in material._state.fields_cache else None
        if requirement is None and material.requirement_id:
            requirement = MaterialRequirement.objects.filter(pk=material.requirement_id).first()
        return requirement.code if requirement else None

    def get_download_url(self, material) -> str:
        return f"/api/v1/bookings/{material.booking_id}/materials/{material.pk}/file"


# The booking answers are built by hand: they are on every booking's hot path, and DRF's field-by-field walk
# (a deep copy of the declared fields per serializer, a lookup and a call per field) cost more than building
# the whole answer (bench/bookings.py). The declared fields stay the schema (OpenAPI); a test holds the
# answers' keys to them.
_DATETIME = serializers.DateTimeField()


def _datetime(value) -> str | None:
    """DRF's spelling: ISO 8601 in the current time zone."""
    return None if value is None else _DATETIME.to_representation(value)


class EventOut(serializers.Serializer):
    from_status = serializers.ChoiceField(choices=BookingStatus.choices, allow_blank=True, required=False)
    to_status = serializers.ChoiceField(choices=BookingStatus.choices)
    actor = serializers.CharField()
    reason = serializers.CharField(allow_blank=True, required=False, max_length=200)
    at = serializers.DateTimeField(read_only=True)

    def to_representation(self, event) -> dict:
        return {"from_status": event.from_status, "to_status": event.to_status,
                "actor": str(event.actor) if event.actor_id else "", "reason": event.reason, "at": _datetime(event.at)}


def _requirements(booking) -> list[MaterialRequirement]:
    """The item's checklist, read once per booking (or taken from a prefetch)."""
    if not hasattr(booking, "_checklist_cache"):
        booking._checklist_cache = sorted(booking.item.requirements.all(), key=lambda r: (r.sort, r.pk))
    return booking._checklist_cache


def _materials(booking) -> list[Material]:
    if not hasattr(booking, "_materials_cache"):
        booking._materials_cache = list(booking.materials.all())
    return booking._materials_cache


def missing_mandatory(booking) -> list[MaterialRequirement]:
    """Same answer as selectors.booking_missing_mandatory, from data the serializer reads anyway."""
    have = {m.requirement_id for m in _materials(booking)}
    return [r for r in _requirements(booking) if r.mandatory and r.pk not in have]


def _call_id(booking) -> str | None:
    try:
        return str(booking.call.pk)
    except Exception:  # no call yet (RelatedObjectDoesNotExist)
        return None


class BookingOut(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    unit = serializers.DictField(help_text="id, name, kind")
    item = serializers.DictField(help_text="id, code, name, session_minutes")
    resident = serializers.DictField(help_text="id, name, phone and id_number masked")
    booked_by = serializers.DictField(help_text="id, name")
    is_proxy = serializers.BooleanField()
    starts_at = serializers.DateTimeField(label=_("开始时间"))
    ends_at = serializers.DateTimeField(label=_("结束时间"))
    status = serializers.ChoiceField(choices=BookingStatus.choices, label=_("状态"), required=False)
    status_display = serializers.CharField()
    call_id = serializers.CharField(allow_null=True)
    missing_mandatory = serializers.ListField(child=serializers.CharField(), help_text="codes of missing materials")
    change_deadline = serializers.DateTimeField(help_text="the resident may cancel or reschedule until then")
    created_at = serializers.DateTimeField(read_only=True)

    def to_representation(self, booking) -> dict:
        unit, item, resident = booking.unit, booking.item, booking.resident
        cutoff = datetime.timedelta(minutes=booking_setting("BOOKING_CHANGE_CUTOFF_MINUTES"))
        return {
            "id": booking.pk,
            "unit": {"id": booking.unit_id, "name": unit.name, "kind": unit.kind},
            "item": {"id": booking.item_id, "code": item.code, "name": item.name,
                     "session_minutes": item.session_minutes},
            "resident": {"id": resident.pk, "name": resident.real_name, "phone": resident.masked_phone,
                         "id_number": resident.masked_id_number},
            "booked_by": {"id": booking.booked_by_id, "name": str(booking.booked_by)},
            "is_proxy": booking.is_proxy_booking,
            "starts_at": _datetime(booking.starts_at),
            "ends_at": _datetime(booking.ends_at),
            "status": booking.status,
            "status_display": booking.get_status_display(),
            "call_id": _call_id(booking),
            "missing_mandatory": [r.code for r in missing_mandatory(booking)],
            "change_deadline": _datetime(booking.starts_at - cutoff),
            "created_at": _datetime(booking.created_at),
        }


class BookingDetailOut(BookingOut):
    checklist = serializers.ListField(child=serializers.DictField(),
                                      help_text="the item's materials checklist, with what was uploaded per entry")
    events = EventOut(many=True, read_only=True)

    def to_representation(self, booking) -> dict:
        event_out = EventOut()
        return {**super().to_representation(booking), "checklist": self._checklist(booking),
                "events": [event_out.to_representation(e) for e in booking.events.all()]}

    @staticmethod
    def _checklist(booking) -> list[dict]:
        materials = _materials(booking)
        requirements = _requirements(booking)
        # One serializer of each kind for the whole list: a ModelSerializer builds its fields per instance.
        material_out = MaterialOut()
        checklist = []
        for requirement, shown in zip(requirements, RequirementOut(requirements, many=True).data, strict=True):
            uploaded = [m for m in materials if m.requirement_id == requirement.pk]
            checklist.append({**shown, "uploaded": [material_out.to_representation(m) for m in uploaded],
                              "missing": requirement.mandatory and not uploaded})
        extra = [m for m in materials if m.requirement_id is None]
        if extra:
            checklist.append({"id": None, "code": "", "name": str(_("其他材料")), "mandatory": False,
                              "uploaded": [material_out.to_representation(m) for m in extra], "missing": False})
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
