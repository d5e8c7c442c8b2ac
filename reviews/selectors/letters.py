"""A case's sealed decision and its files, for whoever may see the case: who may see a case is reviews' rule,
the letter itself is signing's (signing imports no reviews code, so the two meet here)."""
import json
from dataclasses import dataclass

from django.utils.translation import gettext as _

from core.errors import NotFound
from reviews.selectors.access import case_row_for_user
from signing.models import SealedDecision
from signing.selectors import letter_bytes, seal_signature_file, sealed_decision_for_case
from signing.ses_verify import case_letter_ofd, case_ses_signature


@dataclass(frozen=True)
class CaseFile:
    content: bytes
    filename: str


def _sealed_or_none(*, user, case_id: int) -> SealedDecision | None:
    case_row_for_user(user=user, case_id=case_id)  # NotFound for a case the person may not see
    return sealed_decision_for_case(case_id=case_id)


def case_sealed_decision(*, user, case_id: int) -> SealedDecision:
    """The sealed decision of a case the user may see; NotFound (no_letter) while there is none."""
    sealed = _sealed_or_none(user=user, case_id=case_id)
    if sealed is None:
        raise NotFound(_("该案件还没有加盖电子印章的决定书。"), code="no_letter")
    return sealed


def _file(sealed: SealedDecision, case_id: int, suffix: str, content: bytes) -> CaseFile:
    return CaseFile(content=content, filename=f"decision-{case_id}-{sealed.verification_code}.{suffix}")


def case_letter_pdf(*, user, case_id: int) -> CaseFile:
    sealed = case_sealed_decision(user=user, case_id=case_id)
    return _file(sealed, case_id, "pdf", letter_bytes(sealed=sealed))


def case_seal_signature(*, user, case_id: int) -> dict:
    """The SM2 seal-signature file as embedded in the letter, and the record it signs."""
    sealed = case_sealed_decision(user=user, case_id=case_id)
    return {"seal_signature": json.loads(seal_signature_file(sealed=sealed) or b"{}"), "record": sealed.record}


def case_letter_ofd_file(*, user, case_id: int) -> CaseFile:
    sealed = _sealed_or_none(user=user, case_id=case_id)
    letter = case_letter_ofd(sealed=sealed) if sealed is not None else b""
    if not letter:
        raise NotFound(_("该案件还没有 OFD 格式的决定书。"), code="no_letter_ofd")
    return _file(sealed, case_id, "ofd", letter)


def case_ses_file(*, user, case_id: int) -> CaseFile:
    sealed = _sealed_or_none(user=user, case_id=case_id)
    ses = case_ses_signature(sealed=sealed) if sealed is not None else b""
    if not ses:
        raise NotFound(_("该案件还没有 GB/T 38540 电子签章数据。"), code="no_ses_signature")
    return _file(sealed, case_id, "ses", ses)
