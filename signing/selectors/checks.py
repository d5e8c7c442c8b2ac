"""The checks a verification reports, one by one: certificate, seal signature, signer, and the verdict."""
import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from signing import crypto
from signing.models import LedgerEntry, Seal, SealedDecision
from signing.selectors.rules import delegation_problem, keeper_allowed
from signing.selectors.trust import bureau_signed, ca_cert_pem

CHECK_LABELS = {
    "intact": N_("签名完整、文件未被改动"),
    "chain": N_("证书链可追溯到医保局根证书"),
    "certificate": N_("签章证书在签署时有效且未吊销"),
    "seal_signature": N_("SM2 电子签章有效"),
    "signer": N_("用印人与授权符合规定"),
    "ledger": N_("账本中有记录且哈希链完整"),
}


def verification_result(checks: list[dict], decision: dict | None, ledger: dict | None) -> dict:
    """The checks, and as the reason the first that failed (what a person is told first)."""
    failed = next((c for c in checks if not c["ok"]), None)
    reason = {"code": failed["code"], "detail": failed["detail"]} if failed else {
        "code": "ok", "detail": _("决定书真实有效：签名、证书、印章授权和账本记录全部核验通过。")}
    return {"valid": bool(checks) and failed is None, "reason": reason, "checks": checks, "decision": decision,
            "ledger": ledger}


def _check(name: str, ok: bool, detail: str, code: str | None = None) -> dict:
    """One check; `code` says why it failed (by default "<name>_failed")."""
    code = "ok" if ok else (code or f"{name}_failed")
    return {"name": name, "ok": bool(ok), "code": str(code), "label": _(CHECK_LABELS[name]), "detail": detail}


def _pdf_checks(verdict) -> list[dict]:
    """The PDF signature's checks from the one verifier (signing.pades), in the request's language."""
    from signing import pades

    return [_check(check.name, check.ok, _(pades.PASSED[check.name]) if check.ok else _(pades.MESSAGES[check.code]),
                   code=check.code) for check in verdict.checks]


def signer_checks(*, sealed: SealedDecision, at: datetime.datetime) -> dict:
    if not keeper_allowed(seal=sealed.seal, user=sealed.sealed_by_id, at=at):
        return _check("signer", False, _("用印人当时不在该印章的授权名单中。"))
    if sealed.seal.unit.kind == "township_station":
        problem = delegation_problem(record=sealed.record, unit=sealed.seal.unit, at=at)
        if problem:
            return _check("signer", False, problem)
        return _check("signer", True, _("用印人在授权名单中，授权 %(serial)s 覆盖该事项。") % {
            "serial": sealed.record["delegation"]["serial"]})
    return _check("signer", True, _("用印人在该印章的授权名单中。"))


def _seal_for_cert(fingerprint: str) -> Seal | None:
    return Seal.objects.select_related("unit", "ca").filter(cert_fingerprint=fingerprint).first()


def register_problem(*, seal: Seal | None, at: datetime.datetime | None, trust, with_crl: bool,
                     untrusted_time: bool = False) -> dict | None:
    """The seal register's word on the certificate at `at`, as a failed check. `with_crl`: the CA's revocation
    list counts too (for a seal-signature file; a letter's PDF signature had pyHanko check it already).
    `untrusted_time`: `at` is only now (no ledger entry vouches for the signing time), so any revocation refuses."""
    from signing import pades

    if seal is None:
        return _check("certificate", False, _("签章证书不是本局登记的印章证书。"), code="unknown_seal")
    if at is None:
        return _check("certificate", False, _("无法确定盖章时间。"), code="no_signing_time")
    if not (seal.valid_from <= at < seal.valid_until):
        reason = pades.Reason.CERTIFICATE_EXPIRED
        return _check("certificate", False, _(pades.MESSAGES[reason]), code=reason)
    revoked_at = _revoked_at(seal=seal, trust=trust) if with_crl else seal.revoked_at
    if revoked_at is not None and (revoked_at <= at or untrusted_time):
        reason = pades.Reason.UNTRUSTED_TIME if untrusted_time else pades.Reason.CERTIFICATE_REVOKED
        return _check("certificate", False, _(pades.MESSAGES[reason]), code=reason)
    return None


def _revoked_at(*, seal: Seal, trust) -> datetime.datetime | None:
    """The earliest revocation by the register or the CRL. A CRL names whole seconds: the revocation happened
    before the end of the second it names."""
    from signing import pades

    listed = trust.revoked_at(pades.load_certificate(seal.cert_pem.encode("ascii")))
    listed = listed + datetime.timedelta(seconds=1) if listed is not None else None
    return min((when for when in (seal.revoked_at, listed) if when is not None), default=None)


def certificate_passed(*, seal: Seal, trust) -> dict:
    from signing import pades

    revoked_at = _revoked_at(seal=seal, trust=trust)
    if revoked_at is not None:
        return _check("certificate", True, _(pades.REVOKED_LATER) % {"when": revoked_at.date().isoformat()})
    return _check("certificate", True, _("盖章时签章证书在有效期内，未被吊销。"))


def _at(entry: LedgerEntry | None, fallback):
    if entry is not None:
        return datetime.datetime.fromisoformat(entry.created_at.replace("Z", "+00:00"))
    return fallback


def seal_signature_verify_document(*, document: dict, record: dict, known_seal: Seal | None = None,
                                   canonical_record: bytes | None = None) -> tuple[bool, str, Seal | None]:
    """SM2 over the canonical record, with the key the bureau certified in the seal record."""
    try:
        seal_record = document["seal"]["record"]
        ca_pem = ca_cert_pem(seal_record["issuer"]["ca_sha256"])
        if ca_pem is None or not bureau_signed(ca_pem, seal_record, document["seal"]["bureau_signature"]):
            return False, _("印章记录不是医保局根证书签发的。"), None
        canonical = canonical_record or crypto.canonical(record)
        if crypto.sha256_hex(canonical) != document["record_sha256"]:
            return False, _("签章文件与审批记录不对应（记录被改动）。"), None
        public_key = bytes.fromhex(seal_record["sm2"]["public_key"][2:])
        if not crypto.sm2_verify(public_key, canonical, crypto.unb64(document["signature"])):
            return False, _("SM2 签名验证失败。"), None
        seal = known_seal if known_seal is not None and known_seal.serial == seal_record["serial"] else (
            Seal.objects.select_related("unit", "ca").filter(serial=seal_record["serial"]).first())
        if seal is None or seal.record != seal_record:
            return False, _("印章不在本局的印章登记中。"), None
        return True, _("SM2/SM3 签名有效，印章 %(serial)s（%(unit)s）。") % {
            "serial": seal.serial, "unit": seal.unit.name}, seal
    except (KeyError, TypeError, ValueError):
        return False, _("签章文件格式不正确。"), None
