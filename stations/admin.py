from django.contrib import admin

from stations.models import Closure, Division, OpeningHours, StaffMembership, Unit


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "county", "township", "video_lines", "active", "is_demo"]
    list_filter = ["kind", "active", "is_demo", "county"]
    search_fields = ["code", "name", "name_en", "address"]
    raw_id_fields = ["parent", "county", "township"]
    inlines = [OpeningHoursInline, ClosureInline]


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level", "parent"]
    search_fields = ["code", "name"]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "unit", "reason"]
    list_filter = ["date"]
    search_fields = ["unit__name", "reason"]
    raw_id_fields = ["unit"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "is_agent", "is_reviewer", "is_seal_keeper", "is_head", "on_duty"]
    list_filter = ["is_agent", "is_reviewer", "is_seal_keeper", "on_duty", "unit__kind"]
    search_fields = ["user__username", "user__real_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
