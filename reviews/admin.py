"""Admin for reviews: cases with their timeline, routings and escalations (read-mostly)."""
from django.contrib import admin

from reviews.models import Case, CaseEvent, CaseMaterial, CaseRouting, Escalation


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "unit", "comment", "at"]


class CaseRoutingInline(admin.TabularInline):
    model = CaseRouting
    extra = 0
    can_delete = False
    readonly_fields = ["round", "unit", "reviewer", "tier", "reason", "at"]


class EscalationInline(admin.TabularInline):
    model = Escalation
    extra = 0
    can_delete = False
    fk_name = "case"
    readonly_fields = ["level", "from_unit", "to_unit", "from_user", "to_user", "from_tier", "to_tier",
                       "overdue_since", "at"]


class CaseMaterialInline(admin.TabularInline):
    model = CaseMaterial
    extra = 0
    raw_id_fields = ["material", "added_by"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["id", "item", "status", "unit", "assignee", "due_at", "escalation_level", "created_at"]
    list_filter = ["status", "tier", "unit__kind"]
    search_fields = ["id", "item__name", "unit__name"]
    raw_id_fields = ["booking", "resident", "opened_by", "assignee", "decided_by", "unit", "opened_unit"]
    inlines = [CaseMaterialInline, CaseRoutingInline, EscalationInline, CaseEventInline]
