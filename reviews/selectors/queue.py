"""The reviewer's desk: the queue of open cases and where each stands against its deadline."""
import datetime

from django.db.models import Case as Switch
from django.db.models import CharField, F, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import ServiceError
from reviews.models import OPEN_REVIEW_STATUSES, Case
from stations.selectors import user_unit_ids

SLA_STATES = ("on_time", "due_soon", "overdue")


def sla_state_expression(now: datetime.datetime):
    return Switch(
        When(due_at__isnull=True, then=Value("")),
        When(due_at__lte=now, then=Value("overdue")),
        When(warn_at__lte=now, then=Value("due_soon")),
        default=Value("on_time"),
        output_field=CharField(),
    )


def review_queue(*, user, status: str | None = None, sla_state: str | None = None,
                 scope: str | None = None) -> QuerySet[Case]:
    """The reviewer's desk: cases assigned to me and my units' unassigned ones, soonest deadline first."""
    if sla_state and sla_state not in SLA_STATES:
        raise ServiceError(_("sla_state 只能是 on_time、due_soon 或 overdue。"), code="invalid")
    now = timezone.now()
    units = user_unit_ids(user=user, reviewer=True)
    mine = Q(assignee=user)
    unit_queue = Q(unit_id__in=units, assignee__isnull=True)
    where = mine if scope == "mine" else unit_queue if scope == "unit" else (mine | unit_queue)
    cases = (Case.objects.filter(where).filter(unit_id__in=units)
             .annotate(sla_state=sla_state_expression(now))
             .select_related("item", "unit", "assignee", "resident"))
    cases = cases.filter(status=status) if status else cases.filter(status__in=OPEN_REVIEW_STATUSES)
    if sla_state:
        cases = cases.filter(sla_state=sla_state)
    return cases.order_by(F("due_at").asc(nulls_last=True), "pk")


def case_sla_state(case: Case, now: datetime.datetime | None = None) -> str:
    now = now or timezone.now()
    if case.due_at is None:
        return ""
    if case.due_at <= now:
        return "overdue"
    if case.warn_at and case.warn_at <= now:
        return "due_soon"
    return "on_time"
