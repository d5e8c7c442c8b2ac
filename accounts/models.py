"""Users with roles, residents' insurance details, and one-time login codes."""
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.validators import mask_id_number, mask_mobile, normalize_id_number, validate_id_number


class User(AbstractUser):
    class Role(models.TextChoices):
        RESIDENT = "resident", _("参保人")
        AGENT = "agent", _("窗口坐席")
        REVIEWER = "reviewer", _("审核人")
        ADMINISTRATOR = "administrator", _("管理员")

    class Scheme(models.TextChoices):
        EMPLOYEE = "employee", _("职工医保")
        URBAN_RURAL = "urban_rural", _("城乡居民医保")

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.RESIDENT, db_index=True)
    phone = models.CharField(_("手机号"), max_length=11, null=True, blank=True, unique=True)
    real_name = models.CharField(_("姓名"), max_length=40, blank=True)
    id_number = models.CharField(
        _("身份证号"), max_length=18, null=True, blank=True, unique=True, validators=[validate_id_number]
    )
    insurance_scheme = models.CharField(_("参保类型"), max_length=16, choices=Scheme.choices, blank=True)
    home_county = models.ForeignKey(
        "stations.Division", verbose_name=_("户籍/参保县区"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    home_township = models.ForeignKey(
        "stations.Division", verbose_name=_("乡镇街道"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="resident") | Q(phone__isnull=False), name="resident_has_phone"
            ),
        ]

    def __str__(self):
        return self.real_name or self.username

    def clean(self):
        super().clean()
        if self.id_number:  # the admin too stores the one normalised form (one person, one account)
            self.id_number = normalize_id_number(self.id_number)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number or "")

    @property
    def masked_phone(self) -> str:
        return mask_mobile(self.phone or "")

    @property
    def is_resident(self) -> bool:
        return self.role == self.Role.RESIDENT

    @property
    def is_staff_member(self) -> bool:
        return self.role in (self.Role.AGENT, self.Role.REVIEWER, self.Role.ADMINISTRATOR)


class OneTimeCode(models.Model):
    """A login code sent by SMS. Only its hash is stored."""

    phone = models.CharField(max_length=11, db_index=True)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("登录验证码")
        verbose_name_plural = _("登录验证码")

    def __str__(self):
        return f"{mask_mobile(self.phone)} @ {self.created_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """An in-app notice to a user, sent at most once per event (event_key is unique)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    event_key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=40, db_index=True)
    title = models.CharField(max_length=120)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=200, blank=True)
    sent_sms = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("通知")
        verbose_name_plural = _("通知")

    def __str__(self):
        return self.title
