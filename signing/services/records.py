"""The approval record: the canonical content that is sealed, its checks and its summary for the reviewer."""
import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.validators import mask_id_number
from core.errors import ServiceError
from signing import crypto
from signing.models import Delegation
from signing.selectors import delegation_for
from signing.services.common import DECISIONS, RECORD_TYPE, mask_name


def approval_record_build(*, case_id: int, item_code: str, item_name: str, decision: str, reason: str, reviewer,
                          unit, delegation: Delegation | None = None, materials: list[dict],
                          resident_id_number: str, resident_name: str,
                          decided_at: datetime.datetime) -> dict:
    """The canonical content that is sealed. The resident appears only as a keyed hash and masked forms."""
    if decision not in DECISIONS:
        raise ServiceError(_("决定只能是准予或不予。"), code="bad_decision")
    if delegation is None and unit.kind == "township_station":
        delegation = delegation_for(unit=unit, item_code=item_code)
    return {
        "type": RECORD_TYPE,
        "version": 1,
        "case_id": int(case_id),
        "item": {"code": item_code, "name": item_name},
        "decision": decision,
        "reason": reason or "",
        "reviewer": {"id": reviewer.pk, "name": reviewer.real_name or reviewer.username},
        "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind},
        "delegation": ({"serial": delegation.serial, "granted_by": delegation.record["granted_by"],
                        "record_sha256": crypto.record_hash(delegation.record)} if delegation else None),
        "materials": [{"name": str(m["name"]), "sha256": str(m["sha256"]).lower()} for m in materials],
        "resident": {"id_hmac": crypto.id_number_hmac(resident_id_number),
                     "id_masked": mask_id_number(resident_id_number.strip().upper()),
                     "name_masked": mask_name(resident_name)},
        "decided_at": timezone.localtime(decided_at).isoformat(timespec="seconds"),
    }


def _record_check(record: dict) -> None:
    required = {"type", "case_id", "item", "decision", "unit", "resident", "decided_at", "materials", "reviewer"}
    if not isinstance(record, dict) or record.get("type") != RECORD_TYPE or not required <= record.keys():
        raise ServiceError(_("审批记录格式不正确。"), code="bad_record")
    if record["decision"] not in DECISIONS:
        raise ServiceError(_("决定只能是准予或不予。"), code="bad_decision")
    resident = record["resident"]
    if set(resident) != {"id_hmac", "id_masked", "name_masked"} or "*" not in resident["id_masked"]:
        raise ServiceError(_("审批记录中不得出现完整身份证号。"), code="bad_record")


def confirmation_summary(record: dict) -> list[tuple[str, str]]:
    """Exactly what will be sealed, as label/value lines for the confirmation screen."""
    return [
        (_("案件编号"), str(record["case_id"])),
        (_("办理事项"), f"{record['item']['name']}（{record['item']['code']}）"),
        (_("决定"), _("准予办理") if record["decision"] == "approve" else _("不予办理")),
        (_("理由"), record.get("reason") or "—"),
        (_("申请人"), f"{record['resident']['name_masked']} {record['resident']['id_masked']}"),
        (_("审批单位"), record["unit"]["name"]),
        (_("授权依据"), record["delegation"]["serial"] if record.get("delegation") else "—"),
        (_("材料数"), str(len(record["materials"]))),
        (_("记录摘要"), crypto.record_hash(record)),
    ]
