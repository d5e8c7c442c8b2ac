"""Cases, routing to reviewers, SLA deadlines and escalation, decisions."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CaseStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    ASSIGNED = "assigned", _("已分派")
    IN_REVIEW = "in_review", _("审核中")
    NEEDS_MORE_INFO = "needs_more_info", _("待补充材料")
    RESUBMITTED = "resubmitted", _("已补充提交")
    APPROVED = "approved", _("已批准")
    REJECTED = "rejected", _("不予批准")


# Waiting for routing (the route_case task claims these).
ROUTABLE_STATUSES = (CaseStatus.SUBMITTED, CaseStatus.RESUBMITTED)
# With a reviewing unit and an SLA clock running.
OPEN_REVIEW_STATUSES = (CaseStatus.ASSIGNED, CaseStatus.IN_REVIEW)
DECIDED_STATUSES = (CaseStatus.APPROVED, CaseStatus.REJECTED)


class Tier(models.TextChoices):
    TOWNSHIP = "township", _("乡镇服务站")
    COUNTY = "county", _("县区工作站")
    CITY = "city", _("市中心业务科室")
    HEAD = "head", _("单位负责人")


class ConsentVia(models.TextChoices):
    RESIDENT = "resident", _("参保人在手机上确认")
    LIVE_CALL = "live_call", _("视频通话中当面授权")
    CALL = "call", _("由与参保人的通话建立")
    EARLIER = "earlier", _("本规则施行前已提交")


class Case(models.Model):
    """A resident's matter under review: opened from a booking or for a walk-in resident."""

    booking = models.OneToOneField("bookings.Booking", verbose_name=_("预约"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="case")
    item = models.ForeignKey("bookings.ServiceItem", verbose_name=_("服务事项"), on_delete=models.PROTECT,
                             related_name="cases")
    resident = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("参保人"), on_delete=models.PROTECT,
                                 related_name="cases")
    opened_unit = models.ForeignKey("stations.Unit", verbose_name=_("受理机构"), on_delete=models.PROTECT,
                                    related_name="opened_cases")
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理人"), on_delete=models.PROTECT,
                                  related_name="cases_opened")
    # Where the resident belongs, copied at opening: routing and the statistics use it.
    county = models.ForeignKey("stations.Division", verbose_name=_("县区"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    township = models.ForeignKey("stations.Division", verbose_name=_("乡镇街道"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    form_data = models.JSONField(_("表单"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.DRAFT,
                              db_index=True)
    # Incremented at every submission; one routing per round (see CaseRouting).
    submission_round = models.PositiveSmallIntegerField(default=0)

    unit = models.ForeignKey("stations.Unit", verbose_name=_("审核机构"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="review_cases")
    tier = models.CharField(_("审核层级"), max_length=8, choices=Tier.choices, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="assigned_cases")

    submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)
    last_submitted_at = models.DateTimeField(_("最近提交时间"), null=True, blank=True)
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    decided_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    # SLA: the clock starts at assignment; the promised deadline is what the resident was told;
    # due_at is the current holder's deadline (moved on escalation).
    sla_started_at = models.DateTimeField(null=True, blank=True)
    promised_due_at = models.DateTimeField(_("承诺办结时间"), null=True, blank=True)
    warn_at = models.DateTimeField(null=True, blank=True, db_index=True)
    due_at = models.DateTimeField(_("办理期限"), null=True, blank=True, db_index=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)

    requested_materials = models.JSONField(_("要求补充的材料"), default=list, blank=True)
    decision_reason = models.TextField(_("决定理由"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    seal_reference = models.CharField(_("签章核验码"), max_length=120, blank=True)
    # The record a confirmation code was issued for: sealing needs the very same record (its hash is bound).
    pending_decision = models.JSONField(default=dict, blank=True)
    # A walk-in case (no booking of the opening unit) shows its staff only the masked name, and takes no
    # material from elsewhere, until the resident consents at that moment: on her own phone, or in a live call
    # with the agent; a case made from a call with her at the opening unit counts as consented.
    consent_at = models.DateTimeField(_("参保人授权时间"), null=True, blank=True)
    consent_via = models.CharField(_("授权方式"), max_length=10, choices=ConsentVia.choices, blank=True)
    # Figures for the statistics, fixed when they become known.
    materials_count = models.PositiveSmallIntegerField(default=0)
    processing_days = models.FloatField(_("办理用时（工作日）"), null=True, blank=True)
    met_deadline = models.BooleanField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("案件")
        verbose_name_plural = _("案件")
        indexes = [
            models.Index(fields=["unit", "status", "due_at"]),
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["resident", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(assignee__isnull=True) | Q(unit__isnull=False), name="case_assignee_has_unit"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["assigned", "in_review", "approved", "rejected"]) | Q(unit__isnull=False),
                name="case_routed_has_unit",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "rejected"]) | Q(decided_at__isnull=False),
                name="case_decided_has_time",
            ),
            models.CheckConstraint(
                condition=Q(due_at__isnull=True) | Q(sla_started_at__isnull=False), name="case_deadline_has_start"
            ),
            models.CheckConstraint(
                condition=Q(consent_at__isnull=True, consent_via="") | Q(consent_at__isnull=False, consent_via__gt=""),
                name="case_consent_has_time_and_way",
            ),
            # Walk-in cases leave the draft only with the resident's consent (routing shows her data elsewhere).
            models.CheckConstraint(
                condition=Q(status="draft") | Q(booking__isnull=False) | Q(consent_at__isnull=False),
                name="case_walk_in_submitted_with_consent",
            ),
        ]

    def __str__(self):
        return f"#{self.pk} {self.item_id} {self.get_status_display()}"

    @property
    def resident_data_open(self) -> bool:
        """Whether the staff of the opening unit may see the resident's personal data through this case."""
        return self.booking_id is not None or self.consent_at is not None

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED_STATUSES


class CaseMaterial(models.Model):
    """A material attached to the case beyond its booking's own (walk-in cases, added later).

    The file stays in bookings.Material: this is only a link.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attached_materials")
    material = models.ForeignKey("bookings.Material", on_delete=models.PROTECT, related_name="case_links")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name = _("案件材料")
        verbose_name_plural = _("案件材料")
        constraints = [models.UniqueConstraint(fields=["case", "material"], name="case_material_unique")]

    def __str__(self):
        return f"{self.case_id}/{self.material_id}"


class CaseEvent(models.Model):
    """One step of the case's timeline: who, when, from, to, comment."""

    class Action(models.TextChoices):
        CREATED = "created", _("创建")
        SUBMITTED = "submitted", _("提交")
        ROUTED = "routed", _("分派")
        CLAIMED = "claimed", _("领取")
        RELEASED = "released", _("退回队列")
        WARNED = "warned", _("临期提醒")
        ESCALATED = "escalated", _("超期升级")
        REQUESTED_MORE = "requested_more", _("要求补充材料")
        MATERIAL_ADDED = "material_added", _("补充材料")
        DECIDED = "decided", _("作出决定")
        CONSENTED = "consented", _("参保人授权查看个人信息")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    unit = models.ForeignKey("stations.Unit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.CharField(max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("案件记录")
        verbose_name_plural = _("案件记录")

    def __str__(self):
        return f"{self.case_id}: {self.from_status} → {self.to_status}"


class CaseRouting(models.Model):
    """The routing of one submission round. Unique per round: a redelivered task cannot route twice."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="routings")
    round = models.PositiveSmallIntegerField()
    unit = models.ForeignKey("stations.Unit", on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    tier = models.CharField(max_length=8, choices=Tier.choices)
    reason = models.CharField(max_length=40)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("分派记录")
        verbose_name_plural = _("分派记录")
        constraints = [models.UniqueConstraint(fields=["case", "round"], name="case_routing_once_per_round")]

    def __str__(self):
        return f"{self.case_id}#{self.round} → {self.unit_id}"


class Escalation(models.Model):
    """An overdue case moved up a tier (or to the unit's head at the top)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField()
    from_unit = models.ForeignKey("stations.Unit", on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey("stations.Unit", on_delete=models.PROTECT, related_name="+")
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    from_tier = models.CharField(max_length=8, choices=Tier.choices)
    to_tier = models.CharField(max_length=8, choices=Tier.choices)
    overdue_since = models.DateTimeField()
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("超期升级")
        verbose_name_plural = _("超期升级")
        constraints = [models.UniqueConstraint(fields=["case", "level"], name="escalation_unique_level")]

    def __str__(self):
        return f"{self.case_id} ↑{self.level} {self.from_unit_id} → {self.to_unit_id}"
