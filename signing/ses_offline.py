"""Verify a GB/T 38540 SES_Signature (.ses) with the document it signs, offline: no Django, no network.

The trust: the bureau's SM2 root (the seal maker, 制章者) for the seal and the signer's certificate; the bureau's CA
and its current CRL for revocation (a seal's SM2 certificate has the serial number of its PAdES certificate, so
the one CRL revokes both); the letter's ledger proof (`--proof`) for a signing time the signer cannot choose.
"""
import datetime
import hashlib

from signing import gbt38540, ofd, revocation, sm2_certs


def verify_ses(*, ses: bytes, document: bytes, sm2_root_pem: bytes, ca_pem: bytes, crl_pem: bytes | None,
               proof: dict | None = None, now: datetime.datetime | None = None, canonical=None,
               proof_of: tuple[str, bytes] | None = None) -> tuple[bool, list[tuple[str, bool, str]]]:
    """`proof_of`: (ledger field, bytes) the ledger proof is about, when not the document itself (an OFD letter)."""
    from cryptography import x509

    try:
        parsed = gbt38540.parse(ses)
    except ValueError as exc:
        return False, [("ses_signature", False, f"not a GB/T 38540 v4 SES_Signature: {exc}")]
    root = sm2_certs.from_pem(sm2_root_pem)
    checks = gbt38540.signature_checks(parsed, document=document, root=root)
    trusted, why_not = None, ""
    if proof is not None:
        if canonical is None:
            import rfc8785

            canonical = rfc8785.dumps
        key, about = proof_of or ("letter_sha256", document)
        trusted, why_not = revocation.ledger_time(proof=proof, document_sha256=hashlib.sha256(about).hexdigest(),
                                                  ca=x509.load_pem_x509_certificate(ca_pem), canonical=canonical,
                                                  key=key)
    validity = parsed.signer_cert["tbs_certificate"]["validity"]
    ok, detail = revocation.serial_status(
        serial=parsed.signer_cert.serial_number, not_before=validity["not_before"].native,
        not_after=validity["not_after"].native, ca=x509.load_pem_x509_certificate(ca_pem), crl_pem=crl_pem,
        trusted=trusted, now=now)
    moment = trusted.at if trusted else (now or datetime.datetime.now(datetime.UTC))
    if ok and not gbt38540.seal_valid_at(parsed, moment):
        ok, detail = False, "the seal was not within its validity period then"
    detail += f" (the signer states {parsed.claimed_time.isoformat()})"
    checks.append(("certificate", ok, f"{detail}; {why_not}" if why_not else detail))
    return all(passed for _, passed, _ in checks), checks


def verify_ofd(*, package: bytes, **trust) -> tuple[bool, list[tuple[str, bool, str]]]:
    """An OFD letter: the package's structure and SM3 check values, then its SES_Signature over Signature.xml
    (`trust`: verify_ses's sm2_root_pem, ca_pem, crl_pem, proof, now, canonical)."""
    read = ofd.package_read(package)
    checks = [("ofd_package", not read.problems, "; ".join(read.problems) or "package complete, check values match")]
    if not read.signed_value:
        return False, checks
    ok, more = verify_ses(ses=read.signed_value, document=read.signature_xml,
                          proof_of=("letter_ofd_sha256", package), **trust)
    return ok and not read.problems, checks + more
