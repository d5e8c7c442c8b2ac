"""Step-up confirmation codes: issued per case and record, claimed per try, used once."""
import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import attempts
from core.errors import Forbidden, ServiceError
from signing import crypto
from signing.models import ConfirmationCode
from signing.services.records import _record_check


@transaction.atomic
def confirmation_issue(*, user, case_id: int, record: dict) -> str:
    """A 6-digit code bound to this user, case and record hash; single use; sent by SMS when the staff has a phone."""
    _record_check(record)
    if int(record["case_id"]) != int(case_id):
        raise ServiceError(_("审批记录与案件不符。"), code="record_case_mismatch")
    digest = crypto.record_hash(record)
    now = timezone.now()
    # A fresh code replaces any earlier one for the same case.
    ConfirmationCode.objects.filter(user=user, case_id=case_id, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    ConfirmationCode.objects.create(
        user=user, case_id=case_id, record_hash=digest, code_hash=crypto.code_hmac(user.pk, case_id, digest, code),
        expires_at=now + datetime.timedelta(minutes=settings.SIGNING_CONFIRMATION_MINUTES),
    )
    if getattr(user, "phone", None):
        from accounts.sms import send_sms

        message = _("【医保视频办】您正在为案件%(case)s加盖电子印章（%(item)s，%(decision)s），确认码%(code)s，"
                    "%(minutes)d分钟内有效。如非本人操作请勿提供。") % {
            "case": case_id, "item": record["item"]["name"],
            "decision": _("准予") if record["decision"] == "approve" else _("不予"), "code": code,
            "minutes": settings.SIGNING_CONFIRMATION_MINUTES}
        transaction.on_commit(lambda: send_sms(phone=user.phone, message=message))
    return code


MAX_CODE_ATTEMPTS = 5


def _live_codes(*, user, case_id: int, now):
    return ConfirmationCode.objects.filter(user=user, case_id=case_id, used_at__isnull=True, expires_at__gt=now)


def _confirmation_claim(*, user, record: dict) -> bool:
    """Claim one try on this user's live code for the case, in its own statement before the sealing
    transaction: the try stays counted when the code turns out wrong and the sealing rolls back."""
    try:
        case_id = int(record.get("case_id"))
    except (TypeError, ValueError):
        return False  # the record check refuses it
    return attempts.claim_try(_live_codes(user=user, case_id=case_id, now=timezone.now()), limit=MAX_CODE_ATTEMPTS)


def _confirmation_consume(*, user, case_id: int, digest: str, code: str, claimed: bool) -> None:
    code = (code or "").strip()
    now = timezone.now()
    expected = crypto.code_hmac(user.pk, case_id, digest, code)
    # The usual case in one statement: the claimed live code for this case and record, used up now. The UPDATE
    # locks and re-checks the row, so of two concurrent uses only one finds it unused.
    live = _live_codes(user=user, case_id=case_id, now=now)
    if not claimed:
        # No try was claimed: say why without comparing this guess with the code it could have been.
        if live.exists():
            raise ServiceError(_("确认码错误次数过多，请重新获取。"), code="confirmation_locked")
        latest = ConfirmationCode.objects.filter(user=user, case_id=case_id).order_by("-created_at").first()
        if latest is not None and latest.used_at is not None:
            raise ServiceError(_("确认码已使用或已失效，请重新获取。"), code="confirmation_used")
    if claimed and attempts.use_up(live.filter(code_hash=expected), now=now):
        return
    _confirmation_refuse(user=user, case_id=case_id, expected=expected, code=code, now=now)


def _confirmation_refuse(*, user, case_id: int, expected: str, code: str, now) -> None:
    """Say why a code was not accepted (always raises)."""
    mine = ConfirmationCode.objects.select_for_update().filter(user=user, case_id=case_id).order_by("-created_at")
    match = next((row for row in mine if row.code_hash == expected), None)
    if match is None:
        # Tell a foreign code apart from a wrong one, without revealing anything about other people's codes.
        for row in ConfirmationCode.objects.filter(case_id=case_id).exclude(user=user):
            if row.code_hash == crypto.code_hmac(row.user_id, case_id, row.record_hash, code):
                raise Forbidden(_("该确认码不是发给您的，请使用发送给您本人的确认码。"), code="confirmation_foreign")
        for row in mine:
            if row.code_hash == crypto.code_hmac(user.pk, case_id, row.record_hash, code):
                raise ServiceError(_("审批内容在获取确认码后已改变，请重新获取确认码。"), code="confirmation_stale")
        raise ServiceError(_("确认码不正确。"), code="confirmation_invalid")
    if match.used_at is not None:
        raise ServiceError(_("确认码已使用或已失效，请重新获取。"), code="confirmation_used")
    if match.expires_at <= now:
        raise ServiceError(_("确认码已过期，请重新获取。"), code="confirmation_expired")
    if match.failed_attempts >= MAX_CODE_ATTEMPTS:
        raise ServiceError(_("确认码错误次数过多，请重新获取。"), code="confirmation_locked")
    raise ServiceError(_("确认码已使用或已失效，请重新获取。"), code="confirmation_used")  # used meanwhile
