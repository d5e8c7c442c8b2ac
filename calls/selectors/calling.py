"""Who may call whom, and from which unit."""
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from calls import conf
from calls.models import InboxSocket
from core.errors import Forbidden
from stations.models import StaffMembership, Unit

CITY_KINDS = (Unit.Kind.CITY_DEPARTMENT, Unit.Kind.CITY_CENTRE)


def unit_may_call_unit(*, caller: Unit, callee: Unit) -> bool:
    if caller.pk == callee.pk:
        return False
    if caller.kind in CITY_KINDS:
        return True
    if caller.kind == Unit.Kind.TOWNSHIP_STATION:
        return (callee.kind == Unit.Kind.CITY_DEPARTMENT
                or (callee.kind == Unit.Kind.COUNTY_WORKSTATION and callee.county_id == caller.county_id))
    if caller.kind == Unit.Kind.COUNTY_WORKSTATION:
        return (callee.kind == Unit.Kind.CITY_DEPARTMENT
                or (callee.kind == Unit.Kind.TOWNSHIP_STATION and callee.county_id == caller.county_id))
    return False


def unit_may_call_resident(*, caller: Unit, resident: User) -> bool:
    if not resident.is_resident:
        return False
    if caller.kind in CITY_KINDS:
        return True
    if caller.kind == Unit.Kind.TOWNSHIP_STATION:
        return resident.home_township_id is not None and resident.home_township_id == caller.township_id
    if caller.kind == Unit.Kind.COUNTY_WORKSTATION:
        return resident.home_county_id is not None and resident.home_county_id == caller.county_id
    return False


def calling_rule_text(unit: Unit) -> str:
    if unit.kind == Unit.Kind.TOWNSHIP_STATION:
        return _("乡镇服务站只能呼叫本乡镇的参保人、本县区工作站和市中心业务科室。")
    if unit.kind == Unit.Kind.COUNTY_WORKSTATION:
        return _("县区工作站只能呼叫本县区的参保人和乡镇服务站，以及市中心业务科室。")
    return _("该单位不能发起此呼叫。")


def caller_unit(*, user, unit_id=None) -> Unit:
    memberships = StaffMembership.objects.filter(user=user).select_related("unit")
    if unit_id is not None:
        membership = memberships.filter(unit_id=unit_id).first()
        if membership is None:
            raise Forbidden(_("您不是该单位的工作人员，不能以其名义呼叫。"))
        return membership.unit
    membership = memberships.order_by("-is_agent", "pk").first()
    if membership is None:
        raise Forbidden(_("只有服务机构的工作人员可以发起呼叫。"))
    return membership.unit


def resident_is_online(*, user, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return InboxSocket.objects.filter(user=user,
                                      last_seen_at__gt=now - timedelta(seconds=conf.socket_stale_seconds())).exists()


def on_duty_staff_ids(*, unit_id) -> list[int]:
    return list(StaffMembership.objects.filter(unit_id=unit_id, on_duty=True, user__is_active=True)
                .values_list("user_id", flat=True))
