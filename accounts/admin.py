from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import Notification, OneTimeCode, User
from stations.models import StaffMembership


class MembershipInline(admin.TabularInline):
    model = StaffMembership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "real_name", "role", "masked_phone", "masked_id_number", "home_county", "is_active"]
    list_filter = ["role", "insurance_scheme", "is_active", "home_county"]
    search_fields = ["username", "real_name", "phone", "id_number"]
    inlines = [MembershipInline]
    fieldsets = BaseUserAdmin.fieldsets + (
        (_("参保信息"), {"fields": ["role", "phone", "real_name", "id_number", "insurance_scheme", "home_county",
                                   "home_township"]}),
    )
    raw_id_fields = ["home_county", "home_township"]

    @admin.display(description=_("手机号"))
    def masked_phone(self, user):
        return user.masked_phone

    @admin.display(description=_("身份证号"))
    def masked_id_number(self, user):
        return user.masked_id_number


@admin.register(OneTimeCode)
class OneTimeCodeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "expires_at", "failed_attempts", "used_at"]
    readonly_fields = ["phone", "code_hash", "created_at", "expires_at", "failed_attempts", "used_at"]
    list_filter = ["used_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "user", "kind", "sent_sms", "created_at", "read_at"]
    list_filter = ["kind", "sent_sms"]
    search_fields = ["title", "event_key", "user__username"]
    raw_id_fields = ["user"]
