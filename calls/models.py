"""Video calls: one record per call (booked or ad hoc), who was called, who is in the room, and the call log."""
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Call(models.Model):
    class Kind(models.TextChoices):
        BOOKED = "booked", _("预约视频")
        AD_HOC = "ad_hoc", _("临时发起")

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("待开始")
        RINGING = "ringing", _("呼叫中")
        ACTIVE = "active", _("进行中")
        ENDED = "ended", _("已结束")
        MISSED = "missed", _("未接听")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    booking = models.OneToOneField("bookings.Booking", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="call")
    host_unit = models.ForeignKey("stations.Unit", verbose_name=_("发起机构"), on_delete=models.PROTECT,
                                  related_name="hosted_calls")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="calls_started")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SCHEDULED,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Linked review case (reviews.Case); a plain id until the reviews app offers a model to point at.
    case_id = models.BigIntegerField(_("关联案件"), null=True, blank=True, db_index=True)
    topic = models.CharField(_("事由"), max_length=120, blank=True)
    # Until when an unanswered ad hoc call rings; the beat sweep (and every read) ends it as missed after that.
    rings_until = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("视频通话")
        verbose_name_plural = _("视频通话")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="booked", booking__isnull=False) | Q(kind="ad_hoc", booking__isnull=True),
                name="call_booked_iff_booking",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.id}"

    @property
    def is_over(self) -> bool:
        return self.status in (self.Status.ENDED, self.Status.MISSED)


class CallInvitation(models.Model):
    """Someone called into a call: a resident or a staff member by account, or a whole unit (its on-duty staff)."""

    class Purpose(models.TextChoices):
        CALLEE = "callee", _("被呼叫")
        INVITE = "invite", _("通话中邀请")

    class Status(models.TextChoices):
        RINGING = "ringing", _("振铃中")
        ACCEPTED = "accepted", _("已接听")
        DECLINED = "declined", _("已拒接")
        MISSED = "missed", _("未接听")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
                             related_name="call_invitations")
    unit = models.ForeignKey("stations.Unit", null=True, blank=True, on_delete=models.CASCADE,
                             related_name="call_invitations")
    purpose = models.CharField(max_length=8, choices=Purpose.choices, default=Purpose.CALLEE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RINGING, db_index=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    rings_until = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("呼叫对象")
        verbose_name_plural = _("呼叫对象")
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=True) ^ Q(unit__isnull=True),
                                   name="invitation_user_xor_unit"),
            models.UniqueConstraint(fields=["call", "user"], condition=Q(user__isnull=False),
                                    name="invitation_unique_user"),
            models.UniqueConstraint(fields=["call", "unit"], condition=Q(unit__isnull=False),
                                    name="invitation_unique_unit"),
        ]

    def __str__(self):
        return f"{self.call_id} → {self.user_id or self.unit_id} ({self.status})"


class Participant(models.Model):
    """One person's place in a call room. Room state lives here, not in a process, so it survives restarts."""

    class State(models.TextChoices):
        WAITING = "waiting", _("候诊中")
        ADMITTED = "admitted", _("通话中")
        LEFT = "left", _("已离开")

    class Role(models.TextChoices):
        RESIDENT = "resident", _("参保人")
        PROXY = "proxy", _("代办人")
        AGENT = "agent", _("窗口坐席")
        CALLER = "caller", _("发起人")
        STAFF = "staff", _("受邀工作人员")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)  # the participant id clients keep
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="call_places")
    role = models.CharField(max_length=10, choices=Role.choices)
    state = models.CharField(max_length=10, choices=State.choices, db_index=True)
    # The socket currently holding this place; null while disconnected (the place is kept for a grace period).
    channel_name = models.CharField(max_length=200, null=True, blank=True)
    joined_at = models.DateTimeField()
    waiting_since = models.DateTimeField(null=True, blank=True)
    admitted_at = models.DateTimeField(null=True, blank=True)
    disconnected_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    seconds_in_call = models.PositiveIntegerField(default=0)  # admitted time of finished stretches
    media_state = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["joined_at"]
        verbose_name = _("通话参与者")
        verbose_name_plural = _("通话参与者")
        constraints = [
            models.UniqueConstraint(fields=["call", "user"], name="participant_unique_user"),
            models.CheckConstraint(condition=~Q(state="waiting") | Q(waiting_since__isnull=False),
                                   name="participant_waiting_has_since"),
        ]

    def __str__(self):
        return f"{self.user_id} in {self.call_id} ({self.state})"


class CallEvent(models.Model):
    """The call log: one row per thing that happened, for audit and statistics."""

    class Kind(models.TextChoices):
        RANG = "rang", _("呼叫")
        ACCEPTED = "accepted", _("接听")
        DECLINED = "declined", _("拒接")
        MISSED = "missed", _("未接听")
        INVITED = "invited", _("邀请")
        JOINED = "joined", _("进入")
        WAITING = "waiting", _("候诊")
        ADMITTED = "admitted", _("准入")
        HELD = "held", _("移回候诊")
        DISCONNECTED = "disconnected", _("断线")
        REJOINED = "rejoined", _("重连")
        LEFT = "left", _("离开")
        MEDIA_STATE = "media_state", _("媒体状态")
        REFUSED = "refused", _("拒绝进入")
        ENDED = "ended", _("结束")

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind.choices, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    participant = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    unit = models.ForeignKey("stations.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("通话记录")
        verbose_name_plural = _("通话记录")

    def __str__(self):
        return f"{self.call_id} {self.kind} @ {self.at:%H:%M:%S}"


class InboxSocket(models.Model):
    """An open personal socket (/ws/me/ or a station console): tells whether a resident would see a ringing call."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_sockets")
    channel_name = models.CharField(max_length=200, unique=True)
    connected_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("在线连接")
        verbose_name_plural = _("在线连接")

    def __str__(self):
        return f"{self.user_id} {self.channel_name}"
