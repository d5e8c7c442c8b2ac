"""What the case services share: routing reasons in words, decision kinds, the timeline record, notices."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.notifications import notification_send
from reviews import routing
from reviews.models import CaseEvent

REASON_TEXT = {
    routing.Reason.TOWNSHIP_STATION: gettext_lazy("乡镇事项，由参保人所在乡镇服务站审核"),
    routing.Reason.TOWNSHIP_UNKNOWN: gettext_lazy("参保人乡镇未知，上交县区工作站"),
    routing.Reason.TOWNSHIP_NO_STATION: gettext_lazy("所在乡镇无服务站，上交县区工作站"),
    routing.Reason.TOWNSHIP_NO_REVIEWER: gettext_lazy("乡镇服务站无在岗审核人，上交县区工作站"),
    routing.Reason.TOWNSHIP_NO_SEAL: gettext_lazy("乡镇服务站无电子印章，上交县区工作站"),
    routing.Reason.COUNTY_WORKSTATION: gettext_lazy("县级事项，由参保人所在县区工作站审核"),
    routing.Reason.COUNTY_UNKNOWN: gettext_lazy("参保人县区未知，上交市中心业务科室"),
    routing.Reason.COUNTY_NO_WORKSTATION: gettext_lazy("县区无工作站，上交市中心业务科室"),
    routing.Reason.COUNTY_NO_SEAL: gettext_lazy("县区工作站电子印章不可用，上交市中心业务科室"),
    routing.Reason.CITY_DEPARTMENT: gettext_lazy("市级事项，由主管业务科室审核"),
    routing.Reason.CITY_CENTRE: gettext_lazy("市级事项，无主管科室，由市医保中心审核"),
    routing.Reason.CITY_NO_SEAL: gettext_lazy("主管业务科室电子印章不可用，由市医保中心审核"),
    routing.Reason.RESUBMITTED: gettext_lazy("补充材料后退回原审核机构"),
    routing.Reason.RESUBMITTED_NO_SEAL: gettext_lazy("原审核机构电子印章不可用，补充材料后重新分派"),
    routing.Reason.ESCALATED: gettext_lazy("超过办理期限，升级至上一级"),
    routing.Reason.ESCALATED_NO_SEAL: gettext_lazy("超过办理期限，上一级电子印章不可用，升级至再上一级"),
    routing.Reason.ESCALATED_TO_HEAD: gettext_lazy("超过办理期限，升级至单位负责人"),
    routing.Reason.ESCALATED_TO_HEAD_NO_SEAL: gettext_lazy("超过办理期限，上级单位电子印章均不可用，升级至单位负责人"),
}


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_MORE = "request_more"
    ALL = (APPROVE, REJECT, REQUEST_MORE)


def _reason_text(reason: str) -> str:
    try:
        return str(REASON_TEXT[routing.Reason(reason)])
    except (KeyError, ValueError):
        return reason


def _record(*, case_id: int, action: str, from_status: str, to_status: str, actor=None, unit_id=None,
            comment: str = "") -> CaseEvent:
    return CaseEvent.objects.create(case_id=case_id, action=action, from_status=from_status, to_status=to_status,
                                    actor=actor, unit_id=unit_id, comment=comment[:500])


def _agent_unit_ids(user) -> set[int]:
    from stations.selectors import user_unit_ids

    return user_unit_ids(user=user, agent=True)


def _unit_reviewer_ids(unit_id: int) -> list[int]:
    from stations.models import StaffMembership

    return list(StaffMembership.objects.filter(unit_id=unit_id, is_reviewer=True, on_duty=True)
                .values_list("user_id", flat=True))


def _notify_assigned(*, case_id: int, item_name: str, recipient_ids: list[int], key: str) -> None:
    # No user is read: these notices send no SMS (notification_send reads the phone only for one) and the
    # recipients are staff memberships' users.
    for user_id in dict.fromkeys(recipient_ids):
        notification_send(user=User(pk=user_id), event_key=f"{key}:assigned:{user_id}", kind="case_assigned",
                          title=_("新案件待审核"), body=f"{item_name} #{case_id}", link=f"/reviews/cases/{case_id}/")
