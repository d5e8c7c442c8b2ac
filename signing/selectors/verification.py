"""Verifying a letter, a seal-signature file, or the letter registered under a code."""
import datetime
import json

from django.utils.translation import gettext as _

from core.errors import NotFound
from signing import crypto
from signing.models import Seal, SealedDecision
from signing.selectors.checks import (
    _at,
    _check,
    _pdf_checks,
    _seal_for_cert,
    certificate_passed,
    register_problem,
    seal_signature_verify_document,
    signer_checks,
    verification_result,
)
from signing.selectors.decisions import _verification_code, decision_public_summary
from signing.selectors.ledger import _audit_path, _checkpoint_leaves, _exported_seen, ledger_entry_check
from signing.selectors.trust import _bureau_signature_ok, trust_context, trust_forget


def verification_caches_clear() -> None:
    """Forget everything verification keeps in this process (the benchmark's cold case; tests)."""
    trust_forget()
    _exported_seen.clear()
    for cached in (_checkpoint_leaves, _bureau_signature_ok, _audit_path, crypto.cert_from_pem):
        cached.cache_clear()



def _sealed_for_verification(*, key: str, value: str) -> SealedDecision | None:
    """The decision registered under `key` (letter_sha256 or record_hash) with its seal, the seal's unit and CA,
    and its ledger entry, without the letters' bytes; in `ca_version` the seal's CA as trust_context versions it."""
    rows = list(SealedDecision.objects.filter(**{key: value})
                .select_related("seal__unit", "seal__ca", "ledger_entry")
                .defer("letter_pdf", "letter_ofd", "seal__picture_png")[:1])
    if not rows:
        return None
    sealed = rows[0]
    ca = sealed.seal.ca
    sealed.ca_version = (ca.pk, ca.fingerprint, ca.crl_number)
    return sealed

def _json_attachment(attachments: dict[str, bytes], name: str):
    try:
        return json.loads(attachments[name])
    except (KeyError, ValueError):
        return None


def _canonical_record(embedded: bytes | None, record: dict | None, *, stored_hash: str | None) -> bytes | None:
    """The record's RFC 8785 bytes. A letter embeds exactly those: when the embedded bytes hash to the hash stored
    at sealing (computed over the canonical bytes) they are them, and need not be encoded again."""
    if record is None:
        return None
    if stored_hash is not None and crypto.sha256_hex(embedded) == stored_hash:
        return embedded
    return crypto.canonical(record)


def _embedded_seal_signature_check(*, verdict, record, canonical_record, seal: Seal | None) -> dict:
    """The SM2 seal signature embedded in an intact letter, by the same seal as the PDF signature."""
    document = _json_attachment(verdict.attachments, "seal-signature.json")
    if not (verdict.intact and "record.json" in verdict.attachments
            and "seal-signature.json" in verdict.attachments):
        return _check("seal_signature", False, _("无法取出文件中的签章记录。"))
    if record is None or document is None:
        return _check("seal_signature", False, _("签章文件格式不正确。"))
    ok, detail, sm2_seal = seal_signature_verify_document(document=document, record=record, known_seal=seal,
                                                          canonical_record=canonical_record)
    if ok and (seal is None or sm2_seal.pk != seal.pk):
        ok, detail = False, _("SM2 签章与 PDF 签名不是同一枚印章。")
    return _check("seal_signature", ok, detail)


def _certificate_check(*, checks: list[dict], seal: Seal | None, at: datetime.datetime, trust,
                       untrusted_time: bool) -> None:
    """The PDF verifier's certificate check, then (when it passed) the seal register's word at `at`."""
    if not checks[-1]["ok"]:
        return
    problem = register_problem(seal=seal, at=at, trust=trust, with_crl=False, untrusted_time=untrusted_time)
    checks[-1] = problem or certificate_passed(seal=seal, trust=trust)


def letter_verify(*, pdf: bytes) -> dict:
    """Check a letter: the PDF signature (signing.pades, the one verifier the offline script shares), the seal
    register, SM2, keeper/delegation, ledger. The reason given is the first check that failed.

    Every check runs on every call, over the bytes given; what the process keeps is only the parsed CA certificates
    and CRLs per CRL number.
    """
    from signing import pades

    letter_sha = crypto.sha256_hex(pdf)
    sealed = _sealed_for_verification(key="letter_sha256", value=letter_sha)
    trust = trust_context(seal_ca=sealed.ca_version if sealed else None)
    # The ledger vouches for the time of these very bytes (registered under their hash), as --proof does offline.
    trusted_at = _at(sealed.ledger_entry, None) if sealed else None
    verdict = pades.pdf_verdict(pdf, trust, trusted_at=trusted_at)
    checks = _pdf_checks(verdict)
    if verdict.signer is None:
        return verification_result(checks, None, None)
    signed_record = _json_attachment(verdict.attachments, "record.json")
    canonical_record = _canonical_record(verdict.attachments.get("record.json"), signed_record,
                                         stored_hash=sealed.record_hash if sealed else None)
    record_sha = crypto.sha256_hex(canonical_record) if canonical_record is not None else None
    if sealed is None and record_sha:
        sealed = _sealed_for_verification(key="record_hash", value=record_sha)
    fingerprint = verdict.fingerprint
    seal = sealed.seal if sealed and sealed.seal.cert_fingerprint == fingerprint else _seal_for_cert(fingerprint)
    # The register's times are exact: compare them with the ledger's, never with the time the signer wrote.
    at = verdict.trusted_at or datetime.datetime.now(datetime.UTC)
    _certificate_check(checks=checks, seal=seal, at=at, trust=trust, untrusted_time=verdict.trusted_at is None)
    if checks[-1]["ok"] and verdict.stamp is None:  # an old letter: valid, and said whose time it was judged at
        checks[-1]["detail"] += " " + _(pades.NO_TRUSTED_TIME)
    checks.append(_embedded_seal_signature_check(verdict=verdict, record=signed_record,
                                                 canonical_record=canonical_record, seal=seal))

    if sealed is None or (signed_record is not None and record_sha != sealed.record_hash):
        checks.append(_check("signer", False, _("找不到该决定书的用印记录。"), code="not_registered"))
        checks.append(_check("ledger", False, _("账本中没有该决定书的记录。"), code="not_in_ledger"))
        return verification_result(checks, None, None)
    entry = sealed.ledger_entry
    checks.append(signer_checks(sealed=sealed, at=_at(entry, at)))  # the rights when the ledger says it was sealed
    ok, detail, ledger = ledger_entry_check(entry, trust=trust)
    if ok and (entry.payload.get("letter_sha256") != sealed.letter_sha256
               or entry.payload.get("record_sha256") != sealed.record_hash):
        ok, detail = False, _("账本记录与决定书不一致。")
    if ok and letter_sha != sealed.letter_sha256:
        detail += " " + _("注意：该文件与登记的决定书不是同一份文件。")
    checks.append(_check("ledger", ok, detail))
    return verification_result(checks, decision_public_summary(sealed), ledger)


def signature_file_verify(*, document: dict, record: dict) -> dict:
    """Check a seal-signature file with its record (without the PDF)."""
    checks: list[dict] = []
    ok, detail, seal = seal_signature_verify_document(document=document, record=record)
    checks.append(_check("seal_signature", ok, detail))
    if not ok:
        return verification_result(checks, None, None)
    sealed = SealedDecision.objects.select_related("seal__unit", "seal__ca", "ledger_entry", "sealed_by").filter(
        record_hash=crypto.record_hash(record)).first()
    if sealed is None or sealed.seal_id != seal.pk:
        checks.append(_check("ledger", False, _("账本中没有该决定的记录。")))
        return verification_result(checks, None, None)
    at = _at(sealed.ledger_entry, None)
    checks.append(_check("chain", True, _("印章记录由医保局根证书签署。")))
    trust = trust_context()
    checks.append(register_problem(seal=seal, at=at, trust=trust, with_crl=True)
                  or certificate_passed(seal=seal, trust=trust))
    checks.append(signer_checks(sealed=sealed, at=at))
    ok, detail, ledger = ledger_entry_check(sealed.ledger_entry)
    checks.append(_check("ledger", ok, detail))
    return verification_result(checks, decision_public_summary(sealed), ledger)


def verification_by_code(*, code: str) -> dict | None:
    """The letter registered under the code, verified like an uploaded one (only its bytes are read here)."""
    code = _verification_code(code)
    letter = SealedDecision.objects.filter(verification_code=code).values_list("letter_pdf", flat=True).first() \
        if code else None
    return letter_verify(pdf=bytes(letter)) if letter is not None else None


def verification_for_code(*, code: str) -> dict:
    """verification_by_code, for the API: NotFound (unknown_code) when no letter is registered under the code."""
    result = verification_by_code(code=code)
    if result is None:
        raise NotFound(_("没有找到该核验码对应的决定书。"), code="unknown_code")
    return result
