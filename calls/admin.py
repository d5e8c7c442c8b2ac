from django.contrib import admin

from calls.models import Call


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "host_unit", "status", "created_at", "started_at", "ended_at"]
    list_filter = ["kind", "status"]
    search_fields = ["id", "host_unit__name"]
    raw_id_fields = ["booking", "host_unit", "created_by"]
