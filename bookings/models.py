"""The service catalog, bookings and their life cycle, uploaded materials."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ApprovalLevel(models.TextChoices):
    TOWNSHIP = "township", _("乡镇服务站")
    COUNTY = "county", _("县区工作站")
    CITY = "city", _("市医保中心")


class Category(models.Model):
    code = models.CharField(_("编码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    name_en = models.CharField(_("英文名称"), max_length=80, blank=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    owner_department = models.ForeignKey(
        "stations.Unit", verbose_name=_("主管科室"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="owned_categories", limit_choices_to={"kind": "city_department"},
    )

    class Meta:
        ordering = ["sort", "code"]
        verbose_name = _("服务类别")
        verbose_name_plural = _("服务类别")

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    code = models.CharField(_("编码"), max_length=12, unique=True)
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    description = models.TextField(_("说明"), blank=True)
    description_en = models.TextField(_("英文说明"), blank=True)
    approval_level = models.CharField(_("审批层级"), max_length=16, choices=ApprovalLevel.choices)
    time_limit_days = models.PositiveSmallIntegerField(_("承诺时限（工作日）"))
    session_minutes = models.PositiveSmallIntegerField(_("视频时长（分钟）"), default=15)
    fully_by_video = models.BooleanField(_("可全程视频办理"), default=True)
    form_fields = models.JSONField(_("表单字段"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("服务事项")
        verbose_name_plural = _("服务事项")
        constraints = [
            models.CheckConstraint(condition=Q(session_minutes__gte=5), name="item_session_at_least_5_min"),
            models.CheckConstraint(condition=Q(time_limit_days__gte=1), name="item_time_limit_positive"),
        ]

    def __str__(self):
        return self.name


class MaterialRequirement(models.Model):
    """One entry of an item's materials checklist."""

    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="requirements")
    code = models.CharField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=60)
    name_en = models.CharField(_("英文名称"), max_length=120, blank=True)
    mandatory = models.BooleanField(_("必需"), default=True)
    accepted_types = models.JSONField(_("接受的文件类型"), default=list)
    hint = models.CharField(_("提示"), max_length=200, blank=True)
    hint_en = models.CharField(_("英文提示"), max_length=300, blank=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["item", "sort"]
        verbose_name = _("材料要求")
        verbose_name_plural = _("材料要求")
        constraints = [models.UniqueConstraint(fields=["item", "code"], name="requirement_unique_code")]

    def __str__(self):
        return f"{self.item.code} {self.name}"


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CHECKED_IN = "checked_in", _("已签到候诊")
    IN_CALL = "in_call", _("视频中")
    COMPLETED = "completed", _("已完成")
    CANCELLED = "cancelled", _("已取消")
    NO_SHOW = "no_show", _("未到")


ACTIVE_BOOKING_STATUSES = (BookingStatus.BOOKED, BookingStatus.CHECKED_IN, BookingStatus.IN_CALL)


class Booking(models.Model):
    """A resident's video session with a unit for one service item."""

    unit = models.ForeignKey("stations.Unit", verbose_name=_("服务机构"), on_delete=models.PROTECT,
                             related_name="bookings")
    item = models.ForeignKey(ServiceItem, verbose_name=_("服务事项"), on_delete=models.PROTECT,
                             related_name="bookings")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("参保人"), on_delete=models.PROTECT,
                                 related_name="bookings")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("预约人（代办）"),
                                  on_delete=models.PROTECT, related_name="bookings_made")
    starts_at = models.DateTimeField(_("开始时间"), db_index=True)
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("状态"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.BOOKED,
                              db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by the reminder sweep when it claims the booking, so a reminder goes out once.
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [models.Index(fields=["unit", "starts_at"]), models.Index(fields=["resident", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=models.F("ends_at")), name="booking_starts_before_end"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.item} @ {self.unit} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_BOOKING_STATUSES

    @property
    def is_proxy_booking(self) -> bool:
        return self.booked_by_id != self.resident_id


class BookingEvent(models.Model):
    """One recorded transition of a booking: who, when, from, to, why."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=BookingStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=BookingStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("预约记录")
        verbose_name_plural = _("预约记录")

    def __str__(self):
        return f"{self.booking_id}: {self.from_status} → {self.to_status}"


def material_upload_path(material, filename):
    # Random name: the stored path never reveals or trusts the uploader's file name.
    import uuid

    return f"materials/{material.booking_id}/{uuid.uuid4().hex}.{material.file_type}"


class Material(models.Model):
    """A document uploaded for a booking (or captured during its call), for one checklist entry."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("参保人上传")
        CAPTURE = "capture", _("视频中采集")
        STAFF = "staff", _("工作人员上传")

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="materials")
    requirement = models.ForeignKey(MaterialRequirement, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="materials")
    file = models.FileField(upload_to=material_upload_path, max_length=200)
    file_type = models.CharField(max_length=8)  # decided from the content: jpeg, png, pdf
    original_name = models.CharField(max_length=120, blank=True)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.UPLOAD)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name = _("材料")
        verbose_name_plural = _("材料")

    def __str__(self):
        return f"{self.booking_id}/{self.original_name or self.pk}"


class SlotSeat(models.Model):
    """One taken video line in one grid cell of a unit's day.

    The unique (unit, starts_at, seat) constraint is what stops over-booking: a booking or a
    waiting-list hold claims one seat numbered 1..capacity in every cell it covers, so two
    concurrent claims of the last seat cannot both commit.
    """

    unit = models.ForeignKey("stations.Unit", on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField()
    seat = models.PositiveSmallIntegerField()
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="seats")
    hold = models.ForeignKey("WaitlistEntry", null=True, blank=True, on_delete=models.CASCADE, related_name="seats")

    class Meta:
        verbose_name = _("时段席位")
        verbose_name_plural = _("时段席位")
        constraints = [
            models.UniqueConstraint(fields=["unit", "starts_at", "seat"], name="slotseat_unique_seat"),
            models.CheckConstraint(condition=Q(seat__gte=1), name="slotseat_seat_positive"),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, hold__isnull=True) | Q(booking__isnull=True, hold__isnull=False),
                name="slotseat_booking_xor_hold",
            ),
        ]

    def __str__(self):
        return f"{self.unit_id}@{self.starts_at:%Y-%m-%d %H:%M}#{self.seat}"


class IdempotencyRecord(models.Model):
    """A booking request seen under an Idempotency-Key: a retry replays it, a different body is refused."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("幂等记录")
        verbose_name_plural = _("幂等记录")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_user_key")]

    def __str__(self):
        return f"{self.user_id}:{self.key}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("排队中")
    OFFERED = "offered", _("已为您保留时段")
    BOOKED = "booked", _("已预约")
    EXPIRED = "expired", _("保留已过期")
    LEFT = "left", _("已退出")


class WaitlistEntry(models.Model):
    """A resident waiting for a full day (unit, item, date); an offer holds a freed slot for a while."""

    unit = models.ForeignKey("stations.Unit", on_delete=models.CASCADE, related_name="waitlist_entries")
    item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="waitlist_entries")
    date = models.DateField(_("日期"))
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    status = models.CharField(max_length=8, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING,
                              db_index=True)
    offered_starts_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("候补")
        verbose_name_plural = _("候补")
        constraints = [
            models.UniqueConstraint(fields=["unit", "item", "date", "resident"],
                                    condition=Q(status__in=["waiting", "offered"]), name="waitlist_one_open_entry"),
            models.CheckConstraint(condition=~Q(status="offered") | Q(offered_starts_at__isnull=False,
                                                                      offer_expires_at__isnull=False),
                                   name="waitlist_offer_has_slot"),
        ]

    def __str__(self):
        return f"{self.unit_id}/{self.item_id}/{self.date} {self.status}"
