"""Verify a GB/T 38540 SES_Signature (.ses) with the document it signs, offline: no Django, no network.

The trust: the bureau's SM2 root (the seal maker, 制章者) for the seal and the signer's certificate; the bureau's CA
and its current CRL for revocation (a seal's SM2 certificate has the serial number of its PAdES certificate, so
the one CRL revokes both); for a signing time the signer cannot choose, the signature's RFC 3161 token (`timeStamp`,
over the signature value; its TSA chained to `tsa_roots_pem`, by default the CA) or else the letter's ledger proof
(`--proof`). The rules of time are signing/timestamps.py's, the words signing/messages.py's (`_`: a translator;
the default leaves them Chinese).
"""
import datetime
import hashlib

from signing import gbt38540, messages, ofd, revocation, sm2_certs, timestamps


def _same(text: str) -> str:
    return text


def _ledger(proof, *, proof_of, document, ca, canonical):
    if proof is None:
        return None, ""
    if canonical is None:
        import rfc8785

        canonical = rfc8785.dumps
    key, about = proof_of or ("letter_sha256", document)
    return revocation.ledger_time(proof=proof, document_sha256=hashlib.sha256(about).hexdigest(), ca=ca,
                                  canonical=canonical, key=key)


def _certificate(parsed, *, ca, crl_pem, stamp, ledger, now) -> tuple[bool, str, dict, object]:
    """(ok, code, params, trusted time): a token that does not hold refuses; its genTime, else the ledger's time,
    is the moment the certificate and the seal are judged at; then the rules of timestamps.time_problem."""
    if stamp is not None and stamp.code != timestamps.OK:
        return False, stamp.code, {}, None
    trusted = revocation.TrustedTime(stamp.at, "timestamp", {"tsa": stamp.tsa}) if stamp else ledger
    validity = parsed.signer_cert["tbs_certificate"]["validity"]
    ok, code, params = revocation.serial_status(
        serial=parsed.signer_cert.serial_number, not_before=validity["not_before"].native,
        not_after=validity["not_after"].native, ca=ca, crl_pem=crl_pem, trusted=trusted, now=now)
    if ok and not gbt38540.seal_valid_at(parsed, trusted.at if trusted else now):
        ok, code = False, "certificate_expired"
    if ok and (time := timestamps.time_problem(stamp=stamp, claimed=parsed.claimed_time,
                                               known_at=ledger.at if ledger else None)):
        ok, code = False, time
    return ok, code, params, trusted


def verify_ses(*, ses: bytes, document: bytes, sm2_root_pem: bytes, ca_pem: bytes, crl_pem: bytes | None,
               proof: dict | None = None, now: datetime.datetime | None = None, canonical=None,
               proof_of: tuple[str, bytes] | None = None, tsa_roots_pem: bytes | None = None,
               _=_same) -> tuple[bool, list[tuple[str, bool, str, str]]]:
    """(valid, [(name, ok, code, detail)]). `proof_of`: (ledger field, bytes) the ledger proof is about, when not
    the document itself (an OFD letter)."""
    from cryptography import x509

    from signing import pades

    now = now or datetime.datetime.now(datetime.UTC)
    try:
        parsed = gbt38540.parse(ses)
    except ValueError:
        return False, [("ses_signature", False, "ses_signature_failed", _(messages.NOT_SES))]
    checks = [(name, ok, "ok" if ok else f"{name}_failed", _(messages.PASSED[name] if ok else messages.FAILED[name]))
              for name, ok, _detail in gbt38540.signature_checks(parsed, document=document,
                                                                 root=sm2_certs.from_pem(sm2_root_pem))]
    ca = x509.load_pem_x509_certificate(ca_pem)
    ledger, why_not = _ledger(proof, proof_of=proof_of, document=document, ca=ca, canonical=canonical)
    stamp = None
    if parsed.time_stamp is not None:
        roots = pades.load_certificates(tsa_roots_pem or ca_pem)
        stamp = timestamps.token_check(parsed.time_stamp, signature_value=parsed.signature_value, roots=roots,
                                       now=now)
    ok, code, params, trusted = _certificate(parsed, ca=ca, crl_pem=crl_pem, stamp=stamp, ledger=ledger, now=now)
    detail = " ".join(filter(None, [
        messages.certificate_text(code, params, _),
        _(messages.CLAIMED) % {"claimed": revocation.stamp(parsed.claimed_time)},
        messages.time_source_text(trusted, _, now=revocation.stamp(now)),
        _(messages.LEDGER_PROBLEMS[why_not]) if why_not else "",
        _(pades.NO_TRUSTED_TIME) if ok and stamp is None else ""]))
    checks.append(("certificate", ok, "ok" if ok else code, detail))
    return all(passed for _name, passed, _code, _detail in checks), checks


def verify_ofd(*, package: bytes, _=_same, **trust) -> tuple[bool, list[tuple[str, bool, str, str]]]:
    """An OFD letter: the package's structure and SM3 check values, then its SES_Signature over Signature.xml
    (`trust`: verify_ses's sm2_root_pem, ca_pem, crl_pem, proof, now, canonical, tsa_roots_pem)."""
    read = ofd.package_read(package)
    detail = _(messages.FAILED["ofd_package"]) + f" ({'; '.join(read.problems)})" if read.problems else \
        _(messages.PASSED["ofd_package"])
    checks = [("ofd_package", not read.problems, "ok" if not read.problems else "ofd_package_failed", detail)]
    if not read.signed_value:
        return False, checks
    ok, more = verify_ses(ses=read.signed_value, document=read.signature_xml,
                          proof_of=("letter_ofd_sha256", package), _=_, **trust)
    return ok and not read.problems, checks + more
