"""Sealing a decision: the step-up code, the seal and its keeper, SM2 and PAdES signatures, the ledger."""
import base64
import datetime
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, Forbidden, ServiceError
from core.logging import get_logger
from signing import crypto, keys, ofd_letter, sm2_services
from signing.models import Delegation, LedgerEntry, Seal, SealedDecision
from signing.selectors import delegation_problem, seal_for_sealing
from signing.services.common import SEAL_SIGNATURE_FORMAT, _iso
from signing.services.confirmation import _confirmation_claim, _confirmation_consume
from signing.services.ledger import ledger_append
from signing.services.records import _record_check

log = get_logger(__name__)


def seal_usable(*, unit, at: datetime.datetime | None = None, seal: Seal | None = None) -> Seal:
    """The unit's active seal if it may seal at `at`. `seal`: the active seal when the caller has read it."""
    at = at or timezone.now()
    seal = seal or Seal.objects.select_related("ca", "unit").filter(unit=unit, status=Seal.Status.ACTIVE).first()
    if seal is None:
        latest = Seal.objects.filter(unit=unit).order_by("-created_at").first()
        if latest is not None and latest.status == Seal.Status.REVOKED:
            raise Forbidden(_("本单位的电子印章已吊销，不能用印。"), code="seal_revoked")
        raise Forbidden(_("本单位没有可用的电子印章。"), code="no_seal")
    if seal.revoked_at is not None:
        raise Forbidden(_("本单位的电子印章已吊销，不能用印。"), code="seal_revoked")
    cert = crypto.cert_from_pem(seal.cert_pem)
    if not (seal.valid_from <= at < seal.valid_until) or not (
            cert.not_valid_before_utc <= at < cert.not_valid_after_utc):
        raise Forbidden(_("本单位的电子印章证书不在有效期内。"), code="seal_expired")
    return seal


def verification_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/verify/?code={code}"


def seal_signature_document(*, seal: Seal, record: dict, signature: bytes, signed_at: str, code: str,
                            canonical_record: bytes | None = None) -> dict:
    """The exportable seal signature (GB/T 38540 in spirit): who sealed, with which certified SM2 key, over what.
    `canonical_record`: the record's RFC 8785 bytes when the caller has them."""
    canonical_record = canonical_record or crypto.canonical(record)
    return {
        "format": SEAL_SIGNATURE_FORMAT,
        "version": 1,
        "algorithm": crypto.SM2_ALGORITHM,
        "signer_id": crypto.SM2_DEFAULT_ID.decode(),
        "record_sha256": crypto.sha256_hex(canonical_record),
        "record_sm3": crypto.sm3_hex(canonical_record),
        "signed_at": signed_at,
        "verification_code": code,
        "seal": {"record": seal.record, "bureau_signature": seal.record_signature},
        "certificate_pem": seal.cert_pem,
        "signature": crypto.b64(signature),
    }


def decision_seal(*, record: dict, unit, user, confirmation_code: str,
                  resident_name: str | None = None) -> SealedDecision:
    """Check the step-up code, the seal, the keeper and the delegation; sign SM2 + PAdES; append to the ledger."""
    claimed = _confirmation_claim(user=user, record=record)
    return _decision_seal(record=record, unit=unit, user=user, confirmation_code=confirmation_code,
                          resident_name=resident_name, claimed=claimed)


def _seal_and_delegation(*, record: dict, unit, user, case_id: int, at) -> tuple[Seal, Delegation | None]:
    """The seal to seal with at `at` and, for a township station, the delegation covering the record; refuses a
    case sealed already, an unusable seal, a user not on its list, a missing or wrong delegation."""
    active = seal_for_sealing(unit=unit, user=user, case_id=case_id, at=at)
    if (active.case_sealed if active is not None else SealedDecision.objects.filter(case_id=case_id).exists()):
        raise Conflict(_("该案件的决定已经加盖电子印章。"), code="already_sealed")
    seal = seal_usable(unit=unit, at=at, seal=active)
    if not (seal.keeper_right and seal.unit_seal_keeper):
        raise Forbidden(_("您不在本单位电子印章的授权用印人员名单中。"), code="not_seal_keeper")
    if unit.kind != "township_station":
        return seal, None
    problem = delegation_problem(record=record, unit=unit, at=at)
    if problem:
        raise Forbidden(problem, code="delegation_invalid")
    return seal, Delegation.objects.get(serial=record["delegation"]["serial"])


def _letter_pdf(*, seal: Seal, record: dict, unit, canonical: bytes, signature_doc: dict, code: str,
                resident_name: str | None) -> bytes:
    """The decision letter, rendered and PAdES-signed with the seal, the record and seal signature attached."""
    from signing.letter import PKCS11_BYTES_RESERVED, SIGNATURE_BYTES_RESERVED, letter_render, letter_sign

    rendered = letter_render(record=record, resident_name=resident_name or record["resident"]["name_masked"],
                             verification_code=code, verification_url=verification_url(code),
                             bureau_name=settings.SIGNING_BUREAU_NAME, seal_serial=seal.serial,
                             record_sha256=crypto.sha256_hex(canonical))
    return letter_sign(
        letter=rendered, signer=keys.seal_pdf_signer(seal), seal_png=bytes(seal.picture_png),
        attachments={"record.json": canonical, "seal-signature.json": crypto.canonical(signature_doc)},
        reason=f"{'准予' if record['decision'] == 'approve' else '不予'}：{record['item']['name']}",
        location=unit.name, signer_name=seal.name,
        bytes_reserved=PKCS11_BYTES_RESERVED if seal.key_backend == "pkcs11" else SIGNATURE_BYTES_RESERVED,
    )


@transaction.atomic
def _decision_seal(*, record, unit, user, confirmation_code, resident_name, claimed) -> SealedDecision:
    _record_check(record)
    if record["unit"]["code"] != unit.code:
        raise ServiceError(_("审批记录中的单位与用印单位不符。"), code="record_unit_mismatch")
    case_id = int(record["case_id"])
    canonical = crypto.canonical(record)
    digest = crypto.sha256_hex(canonical)
    # The step-up code is checked first: a reused code is reported as reused, whatever else is wrong.
    _confirmation_consume(user=user, case_id=case_id, digest=digest, code=confirmation_code, claimed=claimed)
    now = timezone.now()
    seal, delegation = _seal_and_delegation(record=record, unit=unit, user=user, case_id=case_id, at=now)
    sm2_signature = crypto.sm2_sign(keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:]), canonical)
    code = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    signed_at = _iso(now)
    signature_doc = seal_signature_document(seal=seal, record=record, signature=sm2_signature, signed_at=signed_at,
                                            code=code, canonical_record=canonical)
    ca = seal.ca
    letter = _letter_pdf(seal=seal, record=record, unit=unit, canonical=canonical, signature_doc=signature_doc,
                         code=code, resident_name=resident_name)
    letter_sha = crypto.sha256_hex(letter)
    ses_signature = sm2_services.letter_ses_signature(seal=seal, letter=letter, at=now)
    letter_ofd = ofd_letter.letter_ofd(seal=seal, record=record, at=now, verification_code=code,
                                       resident_name=resident_name or record["resident"]["name_masked"],
                                       verification_url=verification_url(code))
    letter_ofd_sha = crypto.sha256_hex(letter_ofd) if letter_ofd else ""
    entry = ledger_append(
        kind=LedgerEntry.Kind.APPROVAL if record["decision"] == "approve" else LedgerEntry.Kind.REJECTION,
        subject=digest,
        payload={"case_id": case_id, "decision": record["decision"], "record_sha256": digest,
                 "seal": seal.serial, "cert_sha256": seal.cert_fingerprint, "ca_sha256": ca.fingerprint,
                 "sealed_by": user.pk, "delegation": delegation.serial if delegation else None,
                 "verification_code": code, "letter_sha256": letter_sha,
                 "sm2_signature_sha256": crypto.sha256_hex(sm2_signature),
                 "ses_signature_sha256": crypto.sha256_hex(ses_signature) if ses_signature else None,
                 "letter_ofd_sha256": letter_ofd_sha or None},
    )
    try:
        # No savepoint: a duplicate fails the whole sealing anyway. Server-side binding (config/settings.py) sends
        # the letter as binary.
        with transaction.atomic(savepoint=False):
            sealed = SealedDecision.objects.create(
                case_id=case_id, decision=record["decision"], seal=seal, delegation=delegation, sealed_by=user,
                record=record, record_hash=digest, sm2_signature=crypto.b64(sm2_signature), letter_pdf=letter,
                letter_sha256=letter_sha, verification_code=code, ledger_entry=entry, sealed_at=now,
                ses_signature=ses_signature, letter_ofd=letter_ofd, letter_ofd_sha256=letter_ofd_sha,
            )
    except IntegrityError:
        raise Conflict(_("该案件的决定已经加盖电子印章。"), code="already_sealed") from None
    log.info("signing.decision_sealed", case_id=case_id, seal=seal.serial, ledger_seq=entry.seq)
    return sealed


@transaction.atomic
def decision_record_ledger(*, record: dict, unit, user) -> LedgerEntry:
    """Record a decision without a seal (a rejection or a request for more) in the ledger."""
    _record_check(record)
    digest = crypto.record_hash(record)
    kind = LedgerEntry.Kind.APPROVAL if record["decision"] == "approve" else LedgerEntry.Kind.REJECTION
    return ledger_append(kind=kind, subject=digest,
                         payload={"case_id": int(record["case_id"]), "decision": record["decision"],
                                  "record_sha256": digest, "unit": unit.code, "recorded_by": user.pk, "seal": None})
