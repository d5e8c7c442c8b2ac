"""Reads: verify a GB/T 38540 SES_Signature (.ses) with the document it signs, or an OFD letter; a case's .ses/.ofd.

The signature checks are gbt38540's (the same the offline verifier runs); the time is the bureau's ledger entry
for the document, never the signer's `timeInfo`; revocation, the signer's rights and the ledger are checked as for
a PDF letter (signing.selectors).
"""
import datetime

from django.utils.translation import gettext as _

from signing import crypto, gbt38540, messages, ofd, sm2_certs, timestamps
from signing.models import CertificateAuthority, Seal, SealedDecision
from signing.selectors import (
    CHECK_LABELS,
    certificate_passed,
    decision_public_summary,
    ledger_entry_check,
    register_problem,
    signer_checks,
    trust_context,
    verification_result,
)

LABELS, FAILED, PASSED = messages.LABELS, messages.FAILED, messages.PASSED  # one table, shared with offline


def _ses_check(name: str, ok: bool) -> dict:
    return {"name": name, "ok": bool(ok), "label": _(LABELS[name]), "detail": _(PASSED[name] if ok else FAILED[name])}


def _result(checks: list[dict], decision: dict | None, ledger: dict | None) -> dict:
    """signing.selectors' result, each check with its code ("<name>_failed" for the SES checks' own failures)."""
    for check in checks:
        check.setdefault("code", "ok" if check["ok"] else f"{check['name']}_failed")
    return verification_result(checks, decision, ledger)


def _maker_root(parsed: gbt38540.Parsed):
    """The bureau's SM2 root that made this seal, or None."""
    maker = parsed.maker_cert.dump()
    for pem in CertificateAuthority.objects.exclude(sm2_cert_pem="").values_list("sm2_cert_pem", flat=True):
        root = sm2_certs.from_pem(pem)
        if root.dump() == maker:
            return root
    return None


def _sealed_by(**lookup) -> SealedDecision | None:
    return SealedDecision.objects.select_related("seal__unit", "seal__ca", "ledger_entry").filter(**lookup).first()


def ses_verify(*, ses: bytes, document: bytes) -> dict:
    """A detached SES_Signature with the document it signs (the letter PDF, as served)."""
    sealed = _sealed_by(letter_sha256=crypto.sha256_hex(document))
    return _verify(ses=ses, document=document, sealed=sealed,
                   bound=("ses_signature_sha256", crypto.sha256_hex(ses)))


def ofd_verify(*, package: bytes) -> dict:
    """An OFD letter: its structure and SM3 check values, then its SES_Signature over Signature.xml."""
    read = ofd.package_read(package)
    checks = [{"name": "ofd_package", "ok": not read.problems, "label": _(LABELS["ofd_package"]),
               "detail": _(FAILED["ofd_package"]) + f" ({'; '.join(read.problems)})" if read.problems
               else _(PASSED["ofd_package"])}]
    if not read.signed_value:
        return _result(checks, None, None)
    sha = crypto.sha256_hex(package)
    return _verify(ses=read.signed_value, document=read.signature_xml, sealed=_sealed_by(letter_ofd_sha256=sha),
                   bound=("letter_ofd_sha256", sha), checks=checks)


def _verify(*, ses: bytes, document: bytes, sealed: SealedDecision | None, bound: tuple[str, str],
            checks: list | None = None) -> dict:
    """The SES checks, then the seal's certificate at the ledger's time, the signer's rights and the ledger entry,
    which must record `bound` (payload key, SHA-256 of what was verified)."""
    checks = checks or []
    try:
        parsed = gbt38540.parse(ses)
    except ValueError:
        return _result([*checks, {"name": "ses_signature", "ok": False, "label": _(LABELS["ses_signature"]),
                                  "detail": _(messages.NOT_SES)}], None, None)
    root = _maker_root(parsed)
    if root is None:
        return _result([*checks, _ses_check("seseal", False)], None, None)
    checks += [_ses_check(name, ok) for name, ok, _detail in gbt38540.signature_checks(parsed, document=document,
                                                                                       root=root)]
    seal = sealed.seal if sealed else Seal.objects.select_related("unit", "ca").filter(serial=parsed.es_id).first()
    if seal is not None and (seal.serial != parsed.es_id or seal.sm2_cert_pem != sm2_certs.to_pem(
            parsed.signer_cert.dump())):
        seal = None
    at = datetime.datetime.fromisoformat(sealed.ledger_entry.created_at.replace("Z", "+00:00")) if sealed else None
    trust = trust_context()
    checks.append(_certificate_check(parsed, seal=seal, ledger_at=at, trust=trust))
    if sealed is None or seal is None:
        checks.append({"name": "ledger", "ok": False, "label": _(CHECK_LABELS["ledger"]),
                       "detail": _("账本中没有该文档的签章记录。")})
        return _result(checks, None, None)
    checks.append(signer_checks(sealed=sealed, at=at))
    ok, detail, ledger = ledger_entry_check(sealed.ledger_entry)
    if ok and sealed.ledger_entry.payload.get(bound[0]) != bound[1]:
        ok, detail = False, _("该电子签章数据不是账本中登记的那一份。")
    checks.append({"name": "ledger", "ok": ok, "label": _(CHECK_LABELS["ledger"]), "detail": detail})
    return _result(checks, decision_public_summary(sealed), ledger)


def _certificate_check(parsed: gbt38540.Parsed, *, seal, ledger_at, trust) -> dict:
    """The seal's certificate at the token's genTime (else the ledger's time, else now with any revocation
    refusing), then the rules of signing/timestamps.py, as the offline verifier applies them."""
    from signing import pades

    now = datetime.datetime.now(datetime.UTC)
    stamp = None
    if parsed.time_stamp is not None:
        stamp = timestamps.token_check(parsed.time_stamp, signature_value=parsed.signature_value,
                                       roots=trust.tsa_roots, now=now)
        if stamp.code != timestamps.OK:
            return {"name": "certificate", "ok": False, "code": stamp.code, "label": _(CHECK_LABELS["certificate"]),
                    "detail": _(pades.MESSAGES[pades.Reason(stamp.code)])}
    at = stamp.at if stamp else ledger_at
    check = register_problem(seal=seal, at=at or now, trust=trust, with_crl=True, untrusted_time=at is None) \
        or certificate_passed(seal=seal, trust=trust)
    time = timestamps.time_problem(stamp=stamp, claimed=parsed.claimed_time, known_at=ledger_at)
    if check["ok"] and time:
        check.update(ok=False, code=time, detail=_(pades.MESSAGES[pades.Reason(time)]))
    elif check["ok"] and stamp is None:
        check["detail"] += " " + _(pades.NO_TRUSTED_TIME)
    return check


def case_ses_signature(*, sealed: SealedDecision) -> bytes:
    return bytes(sealed.ses_signature or b"")


def case_letter_ofd(*, sealed: SealedDecision) -> bytes:
    return bytes(sealed.letter_ofd or b"")
