"""Video calls: one record per call, booked (one per booking) or ad hoc."""
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
