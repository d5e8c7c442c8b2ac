"""Input and output shapes of the accounts API. ID numbers leave only masked."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Notification, User
from accounts.validators import (
    NAME_MAX_LENGTH,
    normalize_id_number,
    normalize_mobile,
    normalize_person_name,
    validate_id_number,
    validate_person_name,
)
from stations.models import Division


class PhoneField(serializers.CharField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return normalize_mobile(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from None


class PersonNameField(serializers.CharField):
    """A person's name: NFKC, spaces collapsed, letters and the few marks names use (accounts/validators.py)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", NAME_MAX_LENGTH * 2)  # checked again after normalising
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        name = normalize_person_name(super().to_internal_value(data))
        try:
            validate_person_name(name)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from None
        return name


class IdNumberField(serializers.CharField):
    """A national ID number, returned in its one normalised form (ASCII digits and X)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 40)  # fullwidth or spaced input is longer before normalising
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        number = normalize_id_number(super().to_internal_value(data))
        try:
            validate_id_number(number)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages[0]) from None
        return number


class OtpRequestIn(serializers.Serializer):
    phone = PhoneField(label=_("手机号"), max_length=20)


class OtpSentOut(serializers.Serializer):
    """The answer to a code request: the code went out, and how long it stays valid."""
    detail = serializers.SerializerMethodField()
    expires_in = serializers.SerializerMethodField(help_text="seconds the code stays valid")

    def get_detail(self, otp) -> str:
        return str(_("验证码已发送。"))

    def get_expires_in(self, otp) -> int:
        return round((otp.expires_at - otp.created_at).total_seconds())  # created_at is stamped after expiry was set


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
    home_county = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    home_township = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
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
    real_name = PersonNameField(required=False)
    id_number = IdNumberField(required=False)
    insurance_scheme = serializers.ChoiceField(choices=User.Scheme.choices, required=False)
    home_county = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.filter(level=Division.Level.COUNTY), required=False
    )
    home_township = serializers.SlugRelatedField(
        slug_field="code", queryset=Division.objects.filter(level=Division.Level.TOWNSHIP), required=False
    )


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
