"""The organisation: divisions, units (city centre, departments, workstations, stations), staff, hours, closures."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Division(models.Model):
    """An administrative division: a county-level area or a township / street under it."""

    class Level(models.TextChoices):
        COUNTY = "county", _("县区")
        TOWNSHIP = "township", _("乡镇街道")

    code = models.CharField(_("区划代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        constraints = [
            models.CheckConstraint(
                condition=Q(level="county", parent__isnull=True) | Q(level="township", parent__isnull=False),
                name="division_township_has_county",
            )
        ]

    def __str__(self):
        return self.name


class Unit(models.Model):
    """A place that serves residents or reviews cases."""

    class Kind(models.TextChoices):
        CITY_CENTRE = "city_centre", _("市医保中心")
        CITY_DEPARTMENT = "city_department", _("市中心业务科室")
        COUNTY_WORKSTATION = "county_workstation", _("县区工作站")
        TOWNSHIP_STATION = "township_station", _("乡镇服务站")

    # The front office: units with opening hours that residents visit (by video); they take bookings.
    FRONT_OFFICE_KINDS = (Kind.TOWNSHIP_STATION, Kind.COUNTY_WORKSTATION)

    code = models.CharField(_("编码"), max_length=20, unique=True)
    kind = models.CharField(_("类型"), max_length=24, choices=Kind.choices, db_index=True)
    name = models.CharField(_("名称"), max_length=80)
    name_en = models.CharField(_("英文名称"), max_length=160, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级单位"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    county = models.ForeignKey(
        Division, verbose_name=_("县区"), null=True, blank=True, on_delete=models.PROTECT, related_name="county_units"
    )
    township = models.ForeignKey(
        Division, verbose_name=_("乡镇街道"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="township_units",
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    latitude = models.FloatField(_("纬度"), null=True, blank=True)
    longitude = models.FloatField(_("经度"), null=True, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)
    video_lines = models.PositiveSmallIntegerField(_("并行视频线路"), default=1)
    active = models.BooleanField(_("启用"), default=True)
    is_demo = models.BooleanField(_("演示数据"), default=False, help_text=_("合成的站点，非官方公布"))
    location_approximate = models.BooleanField(_("位置为估计值"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("服务机构")
        verbose_name_plural = _("服务机构")
        constraints = [
            models.CheckConstraint(condition=Q(video_lines__gte=1), name="unit_has_a_video_line"),
            models.CheckConstraint(
                condition=~Q(kind="township_station") | Q(county__isnull=False, township__isnull=False),
                name="station_has_county_and_township",
            ),
            models.CheckConstraint(
                condition=~Q(kind="county_workstation") | Q(county__isnull=False),
                name="workstation_has_county",
            ),
        ]

    def __str__(self):
        return self.name


class OpeningHours(models.Model):
    """One opening interval of a unit on a weekday (0 = Monday). Several per day are allowed."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("星期"), choices=[(i, str(i)) for i in range(7)])
    opens = models.TimeField(_("开门时间"))
    closes = models.TimeField(_("关门时间"))

    class Meta:
        ordering = ["unit", "weekday", "opens"]
        verbose_name = _("办公时间")
        verbose_name_plural = _("办公时间")
        constraints = [
            models.CheckConstraint(condition=Q(opens__lt=models.F("closes")), name="hours_open_before_close"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="hours_weekday_range"),
            models.UniqueConstraint(fields=["unit", "weekday", "opens"], name="hours_unique_start"),
        ]

    def __str__(self):
        return f"{self.unit} {self.weekday} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """A day a unit is closed. With no unit, a public holiday for every unit."""

    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("日期"))
    reason = models.CharField(_("原因"), max_length=120)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日/闭站")
        verbose_name_plural = _("节假日/闭站")
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="closure_unique_unit_day"),
            models.UniqueConstraint(fields=["date"], condition=Q(unit__isnull=True), name="closure_unique_holiday"),
        ]

    def __str__(self):
        return f"{self.date} {self.reason}"


class StaffMembership(models.Model):
    """A staff member's place in a unit and what they may do there."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    is_agent = models.BooleanField(_("窗口坐席"), default=False)
    is_reviewer = models.BooleanField(_("审核人"), default=False)
    is_seal_keeper = models.BooleanField(_("印章管理"), default=False)
    is_head = models.BooleanField(_("负责人"), default=False)
    on_duty = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("人员任职")
        verbose_name_plural = _("人员任职")
        constraints = [models.UniqueConstraint(fields=["user", "unit"], name="membership_unique_user_unit")]

    def __str__(self):
        return f"{self.user} @ {self.unit}"
