"""Input and output shapes of the accounts API. ID numbers leave only masked."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Notification, User
from accounts.validators import normalize_mobile, validate_id_number
from stations.models import Division


class PhoneField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalize_mobile(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from None


class OtpRequestIn(serializers.Serializer):
    phone = PhoneField(label=_("手机号"), max_length=20)


class OtpVerifyIn(serializers.Serializer):
    phone = PhoneField(label=_("手机号"), max_length=20)
    code = serializers.RegexField(r"^\d{6}$", label=_("验证码"),
                                  error_messages={"invalid": _("验证码是6位数字。")})


class StaffLoginIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class MembershipOut(serializers.Serializer):
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField(source="unit.name")
    unit_kind = serializers.CharField(source="unit.kind")
    is_agent = serializers.BooleanField()
    is_reviewer = serializers.BooleanField()
    is_seal_keeper = serializers.BooleanField()
    on_duty = serializers.BooleanField()


class MeOut(serializers.ModelSerializer):
    id_number = serializers.CharField(source="masked_id_number")
    phone = serializers.CharField(source="masked_phone")
    home_county = serializers.SlugRelatedField(slug_field="code", read_only=True)
    home_township = serializers.SlugRelatedField(slug_field="code", read_only=True)
    memberships = MembershipOut(many=True, read_only=True)
    profile_complete = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "role", "real_name", "phone", "id_number", "insurance_scheme", "home_county",
                  "home_township", "memberships", "profile_complete"]

    def get_profile_complete(self, user) -> bool:
        if user.role != User.Role.RESIDENT:
            return True
        return bool(user.real_name and user.id_number and user.insurance_scheme and user.home_county_id)


class ProfileIn(serializers.Serializer):
    real_name = serializers.CharField(max_length=40, required=False)
    id_number = serializers.CharField(max_length=18, required=False)
    insurance_scheme = serializers.ChoiceField(choices=User.Scheme.choices, required=False)
    home_county = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.filter(level=Division.Level.COUNTY), required=False
    )
    home_township = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.filter(level=Division.Level.TOWNSHIP), required=False
    )

    def validate_id_number(self, value):
        value = value.strip().upper()
        try:
            validate_id_number(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from None
        return value


class NoticeOut(serializers.ModelSerializer):
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "link", "sent_sms", "created_at", "unread"]

    def get_unread(self, notice) -> bool:
        return notice.read_at is None


class NoticesOut(serializers.Serializer):
    unread = serializers.IntegerField(help_text="how many of the person's notices are unread (all, not only these)")
    results = NoticeOut(many=True)


class NoticesReadIn(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=200,
                                help_text="the notices to mark read; all unread ones when left out")
