from django.contrib import admin

from bookings.models import (
    Booking,
    BookingEvent,
    Category,
    Material,
    MaterialRequirement,
    ServiceItem,
    WaitlistEntry,
)


class RequirementInline(admin.TabularInline):
    model = MaterialRequirement
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "owner_department", "sort"]
    search_fields = ["code", "name", "name_en"]


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "approval_level", "time_limit_days", "session_minutes",
                    "fully_by_video", "active"]
    list_filter = ["approval_level", "category", "fully_by_video", "active"]
    search_fields = ["code", "name", "name_en"]
    inlines = [RequirementInline]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    readonly_fields = ["from_status", "to_status", "actor", "reason", "at"]
    can_delete = False


class MaterialInline(admin.TabularInline):
    model = Material
    extra = 0
    fields = ["requirement", "file_type", "size", "sha256", "source", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["id", "unit", "item", "resident", "starts_at", "status"]
    list_filter = ["status", "unit__kind", "item__category", "starts_at"]
    search_fields = ["id", "unit__name", "resident__real_name", "resident__phone"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["unit", "item", "resident", "booked_by"]
    inlines = [BookingEventInline, MaterialInline]


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "unit", "item", "date", "resident", "status", "offered_starts_at", "offer_expires_at"]
    list_filter = ["status", "date"]
    raw_id_fields = ["unit", "item", "resident", "booking"]
    readonly_fields = ["offered_starts_at", "offer_expires_at", "booking", "created_at"]
