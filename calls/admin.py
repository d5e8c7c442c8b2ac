from django.contrib import admin

from calls.models import Call, CallEvent, CallInvitation, Participant


class CallInvitationInline(admin.TabularInline):
    model = CallInvitation
    extra = 0
    raw_id_fields = ["user", "unit", "invited_by", "answered_by"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    raw_id_fields = ["user"]
    readonly_fields = ["id", "joined_at", "admitted_at", "left_at", "seconds_in_call"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "host_unit", "status", "created_at", "started_at", "ended_at"]
    list_filter = ["kind", "status"]
    search_fields = ["id", "host_unit__name"]
    raw_id_fields = ["booking", "host_unit", "created_by"]
    inlines = [CallInvitationInline, ParticipantInline]


@admin.register(CallEvent)
class CallEventAdmin(admin.ModelAdmin):
    """The call log is an audit record: read only."""

    list_display = ["call", "kind", "user", "unit", "at"]
    list_filter = ["kind"]
    raw_id_fields = ["call", "user", "participant", "unit"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
