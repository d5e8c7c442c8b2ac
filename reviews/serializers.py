"""Input and output shapes of the reviews API. No business rules here."""
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.serializers import QueryIn
from reviews import selectors


class CaseCreateIn(serializers.Serializer):
    booking_id = serializers.IntegerField(required=False)
    resident_id = serializers.IntegerField(required=False, help_text="walk-in resident (instead of booking_id)")
    resident_phone = serializers.CharField(required=False, max_length=11)
    item_id = serializers.IntegerField(required=False)
    unit_id = serializers.IntegerField(required=False, help_text="the agent's unit (walk-in, when several)")
    form_data = serializers.DictField(required=False)


class CaseFormIn(serializers.Serializer):
    form_data = serializers.DictField()


class MaterialAttachIn(serializers.Serializer):
    material_id = serializers.IntegerField()


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject", "request_more"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    materials = serializers.ListField(child=serializers.CharField(max_length=40), required=False, default=list)
    confirmation_code = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class _Ref(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ItemRef(_Ref):
    code = serializers.CharField()
    time_limit_days = serializers.IntegerField()
    approval_level = serializers.CharField()


class PersonRef(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(source="real_name")


class CaseResidentOut(serializers.Serializer):
    """The case's resident: her name only where the case opens her data to its staff (else masked)."""

    id = serializers.IntegerField(source="resident_id")
    name = serializers.SerializerMethodField()
    masked_phone = serializers.CharField(source="resident.masked_phone")
    masked_id_number = serializers.CharField(source="resident.masked_id_number")

    def get_name(self, case) -> str:
        return selectors.case_resident_name(case)


class CaseOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    item = ItemRef()
    resident = CaseResidentOut(source="*")
    consent_at = serializers.DateTimeField(allow_null=True)
    booking_id = serializers.IntegerField(allow_null=True)
    opened_unit = _Ref()
    unit = _Ref(allow_null=True)
    tier = serializers.CharField()
    assignee = PersonRef(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    assigned_at = serializers.DateTimeField(allow_null=True)
    warn_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    promised_due_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    escalation_level = serializers.IntegerField()
    sla_state = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_sla_state(self, case) -> str:
        state = getattr(case, "sla_state", None)
        return state if state is not None else selectors.case_sla_state(case)


class CaseMaterialOut(serializers.Serializer):
    id = serializers.IntegerField()
    booking_id = serializers.IntegerField()
    requirement_code = serializers.CharField(source="requirement.code", default="")
    requirement_name = serializers.CharField(source="requirement.name", default="")
    file_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    source = serializers.CharField()
    uploaded_at = serializers.DateTimeField()
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, material) -> str | None:
        return material_download_url(material)


def material_download_url(material) -> str | None:
    """The bookings app's file endpoint for the material (it checks who may read it)."""
    attempts = [("booking-material-file", {"booking_id": material.booking_id, "pk": material.pk}),
                ("booking-material-file", {"pk": material.booking_id, "material_id": material.pk}),
                ("booking-material-file", {"booking_id": material.booking_id, "material_id": material.pk}),
                ("material-file", {"pk": material.pk}), ("material-file", {"material_id": material.pk})]
    for name, kwargs in attempts:
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


class CaseEventOut(serializers.Serializer):
    action = serializers.CharField()
    action_label = serializers.CharField(source="get_action_display")
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    to_status_label = serializers.CharField(source="get_to_status_display")
    actor_name = serializers.CharField(source="actor.real_name", default="")
    unit_name = serializers.CharField(source="unit.name", default="")
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class CaseRequirementOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class CaseCallRef(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()


class CaseChecklistOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    mandatory = serializers.BooleanField()


class CaseDetailOut(CaseOut):
    """A case read by reviews.selectors.case_detail, which reads what the lists below show with it: no query here."""

    form_data = serializers.DictField()
    form_fields = serializers.ListField(source="item.form_fields", child=serializers.DictField())
    checklist = CaseChecklistOut(source="item.detail_checklist", many=True,
                             help_text="the item's whole materials checklist: what a reviewer may ask for")
    requested_materials = serializers.ListField(child=serializers.CharField())
    decision_reason = serializers.CharField()
    materials = CaseMaterialOut(source="detail_materials", many=True)
    missing_materials = CaseRequirementOut(source="detail_missing", many=True)
    timeline = CaseEventOut(source="detail_events", many=True)
    call = CaseCallRef(source="detail_call", allow_null=True,
                   help_text="the call to join (the booking's, else the case's latest), where a reviewer can be "
                             "invited (calls' POST /api/v1/calls/{id}/invite/)")


class StatsRow(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    cases = serializers.IntegerField()
    decided = serializers.IntegerField()
    median_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True)
    limit_days = serializers.FloatField(allow_null=True)
    median_vs_limit = serializers.FloatField(allow_null=True)
    sla_compliance_pct = serializers.FloatField(allow_null=True)
    escalations = serializers.IntegerField()
    materials_per_case = serializers.FloatField(allow_null=True)


class StatsQueryIn(QueryIn):
    """The statistics' period, by submission date, both ends included; either end may be left open."""

    date_from = serializers.DateField(required=False, error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")})
    date_to = serializers.DateField(required=False, error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")})

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": _("结束日期不能早于开始日期。")})
        return attrs


class StatsOut(serializers.Serializer):
    by_item = StatsRow(many=True)
    by_unit = StatsRow(many=True)
    by_county = StatsRow(many=True)


class ConfirmationIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    reason = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class ConfirmationOut(serializers.Serializer):
    decision = serializers.CharField()
    summary = serializers.ListField(child=serializers.ListField(child=serializers.CharField()),
                                    help_text="what will be sealed, as [label, value] lines")
    sent_to = serializers.ChoiceField(choices=["phone", "console", "notice"],
                                      help_text="where the code went: an SMS to the phone, the server console "
                                                "(the embedded profile's SMS), or the in-app notices")
