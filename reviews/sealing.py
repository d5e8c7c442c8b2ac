"""The one place where a decision meets the signing module: which units can seal, confirmation codes, sealing.

The rest of reviews never imports signing directly. The flow (signing/services.py):
1. the reviewer asks for a confirmation code: we build the approval record (approval_record_build), keep it on
   the case (its hash is bound to the code) and signing sends the code to the reviewer's phone
   (confirmation_issue);
2. the reviewer decides with the code: decision_seal checks code, seal, keeper and delegation, signs the record
   (SM2 + the PAdES letter) and appends it to the ledger.
With settings.SEALING_REQUIRED False and no code given, a decision goes through unsealed.
"""
import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.notifications import notification_send
from accounts.sms import sms_reaches_phone
from core.errors import ServiceError
from reviews.selectors import case_materials
from signing import services as signing

SEALED_DECISIONS = ("approve", "reject")


def _record(*, case, reviewer, decision: str, reason: str, decided_at: datetime.datetime) -> dict:
    resident = case.resident
    if not resident.id_number:
        raise ServiceError(_("参保人未登记身份证号，不能加盖电子印章。"), code="resident_id_missing")
    materials = [{"name": m.requirement.name if m.requirement else (m.original_name or str(m.pk)), "sha256": m.sha256}
                 for m in case_materials(case=case)]
    return signing.approval_record_build(
        case_id=case.pk, item_code=case.item.code, item_name=case.item.name, decision=decision, reason=reason,
        reviewer=reviewer, unit=case.unit, materials=materials, resident_id_number=resident.id_number,
        resident_name=resident.real_name or "", decided_at=decided_at)


def confirmation_request(*, case, reviewer, decision: str, reason: str) -> dict:
    """Build the record to be sealed and have signing send the reviewer a confirmation code.

    Returns the pending decision to keep on the case: {"decision", "reason", "reviewer_id", "record"}.
    """
    if decision not in SEALED_DECISIONS:
        raise ServiceError(_("只有准予或不予的决定需要用印确认。"), code="invalid")
    if not reviewer.phone and not settings.DEBUG:
        raise ServiceError(_("您的账号未登记手机号，无法接收用印确认码。"), code="phone_required")
    record = _record(case=case, reviewer=reviewer, decision=decision, reason=reason, decided_at=timezone.now())
    code = signing.confirmation_issue(user=reviewer, case_id=case.pk, record=record)
    if reviewer.phone:
        # Where the SMS went, so the desk says so truthfully (a console backend prints it on the server).
        sent_to = "phone" if sms_reaches_phone() else "console"
    else:
        # Embedded demo profile only (DEBUG): no phone to text, so the code goes to the in-app notices.
        notification_send(user=reviewer, event_key=f"case:{case.pk}:confirmation:{record['decided_at']}",
                          kind="seal_confirmation", title=_("用印确认码"), body=code)
        sent_to = "notice"
    summary = signing.confirmation_summary(record)
    return {"decision": decision, "reason": reason, "reviewer_id": reviewer.pk, "record": record,
            "summary": [[str(label), str(value)] for label, value in summary], "sent_to": sent_to}


def seal_decision(*, case, reviewer, decision: str, confirmation_code: str) -> str:
    """Seal the decision on `case` with the reviewing unit's seal; returns the letter's verification code.

    Returns "" for a decision that goes through unsealed (sealing not required and no code given).
    """
    if not settings.SEALING_REQUIRED and not confirmation_code:
        return ""
    pending = case.pending_decision or {}
    if not confirmation_code or not pending.get("record"):
        raise ServiceError(_("请先获取用印确认码。"), code="confirmation_required")
    if pending.get("decision") != decision or pending.get("reviewer_id") != reviewer.pk:
        raise ServiceError(_("决定内容与获取确认码时不一致，请重新获取确认码。"), code="confirmation_stale")
    sealed = signing.decision_seal(record=pending["record"], unit=case.unit, user=reviewer,
                                   confirmation_code=confirmation_code, resident_name=case.resident.real_name or None)
    return str(getattr(sealed, "verification_code", "") or sealed.pk)
