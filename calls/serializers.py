"""Input and output shapes of the calls API. No business rules here: what a row shows comes from selectors."""
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from calls import selectors
from calls.models import Call, CallEvent, CallInvitation, Participant
from core.serializers import QueryIn


class CallStartIn(serializers.Serializer):
    unit_id = serializers.IntegerField(required=False, help_text="calling unit (one of the caller's units)")
    resident_id = serializers.IntegerField(required=False)
    resident_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    resident_name = serializers.CharField(required=False, allow_blank=True, max_length=40)
    unit_ids = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=3)
    case_id = serializers.IntegerField(required=False, allow_null=True)
    topic = serializers.CharField(required=False, allow_blank=True, max_length=120)


class InviteIn(serializers.Serializer):
    user_id = serializers.IntegerField(required=False)
    unit_id = serializers.IntegerField(required=False)


class CallDayQueryIn(QueryIn):
    date = serializers.DateField(required=False, help_text="default today",
                                 error_messages={"invalid": _("日期格式应为 YYYY-MM-DD。")})


class InvitationOut(serializers.ModelSerializer):
    """Who was called or invited, and how they answered; people named as staff see them (selectors.shown_name)."""
    user = serializers.SerializerMethodField()
    unit = serializers.CharField(source="unit.name", default=None)
    answered_by = serializers.SerializerMethodField()

    class Meta:
        model = CallInvitation
        fields = ["user", "unit", "purpose", "status", "answered_by", "answered_at"]

    def get_user(self, invitation) -> str | None:
        return selectors.shown_name(invitation.user)

    def get_answered_by(self, invitation) -> str | None:
        return selectors.shown_name(invitation.answered_by)


class InvitationCreatedOut(serializers.ModelSerializer):
    call_id = serializers.UUIDField()
    user_id = serializers.IntegerField(allow_null=True)
    unit_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = CallInvitation
        fields = ["call_id", "user_id", "unit_id", "status", "rings_until"]


class CallSummaryOut(serializers.ModelSerializer):
    """One row of the day's calls: everything the console and the desk show, without a request per call."""
    host_unit_name = serializers.CharField(source="host_unit.name")
    outcome = serializers.SerializerMethodField(help_text="answered / missed / declined / ringing / ongoing / "
                                                          "scheduled / not_connected")
    duration_seconds = serializers.SerializerMethodField()
    resident = serializers.SerializerMethodField(help_text="the booking's or the called resident, name masked")
    resident_id = serializers.SerializerMethodField(help_text="that resident's account (for their cases)")
    invitations = InvitationOut(many=True, help_text="who was called or invited, and how each answered")
    may_make_case = serializers.BooleanField(source="viewer_may_make_case",
                                             help_text="the viewer may turn this call into a case")

    class Meta:
        model = Call
        fields = ["id", "kind", "status", "outcome", "host_unit", "host_unit_name", "booking", "case_id", "topic",
                  "created_at", "started_at", "ended_at", "duration_seconds", "resident", "resident_id", "invitations",
                  "may_make_case"]

    def get_outcome(self, call) -> str:
        return selectors.call_outcome(call)

    def get_duration_seconds(self, call) -> int:
        return selectors.call_duration_seconds(call, self.context.get("now"))

    def get_resident(self, call) -> str | None:
        return selectors.shown_name(self._resident(call))

    def get_resident_id(self, call) -> int | None:
        resident = self._resident(call)
        return resident.pk if resident else None

    @staticmethod
    def _resident(call):
        return call.booking.resident if call.booking_id else selectors.called_resident(call)


class ParticipantLogOut(serializers.ModelSerializer):
    participant_id = serializers.UUIDField(source="id")
    name = serializers.SerializerMethodField()
    connected = serializers.SerializerMethodField()
    media = serializers.SerializerMethodField()
    seconds_in_call = serializers.SerializerMethodField()

    class Meta:
        model = Participant
        fields = ["participant_id", "role", "name", "state", "connected", "media", "joined_at", "left_at",
                  "seconds_in_call"]

    def get_name(self, participant) -> str | None:
        return selectors.shown_name(participant.user)

    def get_media(self, participant) -> dict:
        return participant.media_state or {}

    def get_connected(self, participant) -> bool:
        return participant.channel_name is not None

    def get_seconds_in_call(self, participant) -> int:
        return selectors.participant_seconds(participant, self.context["now"])


class CallEventOut(serializers.ModelSerializer):
    who = serializers.SerializerMethodField()
    participant_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = CallEvent
        fields = ["kind", "at", "who", "participant_id", "detail"]

    def get_who(self, event) -> str | None:
        return selectors.shown_name(event.user)


class HostUnitOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CallDetailOut(serializers.ModelSerializer):
    """A call's log for the staff who may read it: who was invited, who took part and for how long, what
    happened. Needs `now` in the context (the running seconds of people still in the call)."""
    host_unit = HostUnitOut()
    booking_id = serializers.IntegerField(allow_null=True)
    booking_status = serializers.CharField(source="booking.status", default=None)
    duration_seconds = serializers.SerializerMethodField()
    invitations = serializers.SerializerMethodField()
    participants = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = ["id", "kind", "status", "host_unit", "booking_id", "booking_status", "case_id", "topic",
                  "created_at", "started_at", "ended_at", "duration_seconds", "invitations", "participants", "events"]

    def get_duration_seconds(self, call) -> int:
        return selectors.call_duration_seconds(call, self.context["now"])

    def get_invitations(self, call) -> list[dict]:
        invitations = call.invitations.select_related("user", "unit", "answered_by").order_by("pk")
        return InvitationOut(invitations, many=True).data

    def get_participants(self, call) -> list[dict]:
        participants = call.participants.select_related("user").order_by("joined_at")
        return ParticipantLogOut(participants, many=True, context=self.context).data

    def get_events(self, call) -> list[dict]:
        return CallEventOut(call.events.select_related("user").order_by("at", "pk"), many=True).data


class CallAnsweredOut(serializers.Serializer):
    call_id = serializers.UUIDField()
    status = serializers.CharField()
    room = serializers.SerializerMethodField(help_text="the room's socket path")

    def get_room(self, invitation) -> str:
        return f"/ws/calls/{invitation.call_id}/"


class CallStatusOut(serializers.Serializer):
    call_id = serializers.UUIDField(source="pk")
    status = serializers.CharField()
