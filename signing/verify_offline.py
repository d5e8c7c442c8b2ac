#!/usr/bin/env python3
"""Verify a sealed letter offline, with the bureau's CA certificate, its current CRL and the letter's ledger proof.

    python signing/verify_offline.py letter.pdf --ca ca.pem --crl crl.pem [--proof ledger.json] [--json]
    python signing/verify_offline.py letter.pdf --ses letter.ses --sm2-root maker.pem --ca ca.pem --crl crl.pem …
    python signing/verify_offline.py letter.ofd --ofd --sm2-root maker.pem --ca ca.pem --crl crl.pem …

Needs pyHanko, cryptography, gmssl-pyx and rfc8785 (no Django, no network, no database). Checks:
  1. the PDF signature is intact and covers the whole file (no later incremental update),
  2. the signing certificate chains to the given CA,
  3. the certificate was valid and not revoked at a trusted time (signing/revocation.py): a timestamp token's, or
     the bureau's ledger entry for the letter (--proof: the `ledger` part of the online verification result);
     the signer's own time is never believed. Without a current CRL the letter is not valid.
  4. the embedded seal record is signed by the CA and names this certificate,
  5. the SM2/SM3 seal signature over the embedded canonical record verifies.
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import base64
import datetime
import hashlib
import importlib
import io
import json
import os
import sys

# Run as `python signing/verify_offline.py`, this folder would shadow the standard library (signing/selectors.py).
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]


def _sibling(name: str):
    """A Django-free module of this folder (signing/), importable as `signing.<name>` from the folder above."""
    parent = os.path.dirname(_HERE)
    if parent not in sys.path:
        sys.path.append(parent)  # last: nothing there shadows an installed package
    return importlib.import_module(f"signing.{name}")


revocation = _sibling("revocation")


def _canonical(obj) -> bytes:
    import rfc8785

    return rfc8785.dumps(obj)


def _attachments(reader) -> dict:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
    except KeyError:
        return {}
    return {str(names[i]): names[i + 1].get_object()["/EF"]["/F"].get_object().data for i in range(0, len(names), 2)}


def _trusted_time(status, proof, pdf_sha256, ca):
    """The signing time someone other than the signer vouches for: a valid timestamp token, else the ledger."""
    stamp = getattr(status, "timestamp_validity", None)
    if stamp is not None and stamp.intact and stamp.valid and stamp.trusted:
        return revocation.TrustedTime(stamp.timestamp, "timestamp token"), ""
    if proof is None:
        return None, ""
    return revocation.ledger_time(proof=proof, document_sha256=pdf_sha256, ca=ca, canonical=_canonical)


def verify(pdf: bytes, ca_pem: bytes, crl_pem: bytes | None = None, proof: dict | None = None,
           now: datetime.datetime | None = None) -> tuple[bool, list[tuple[str, bool, str]]]:
    import gmssl_pyx
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    checks: list[tuple[str, bool, str]] = []
    ca = x509.load_pem_x509_certificate(ca_pem)
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    if len(reader.embedded_signatures) != 1:
        return False, [("intact", False, "no (or more than one) signature in the file")]
    embedded = reader.embedded_signatures[0]
    signed_at = embedded.self_reported_timestamp or datetime.datetime.now(datetime.UTC)
    context = ValidationContext(
        trust_roots=[asn1_x509.Certificate.load(ca.public_bytes(serialization.Encoding.DER))],
        allow_fetching=False, revocation_mode="soft-fail", moment=signed_at,
    )
    status = validate_pdf_signature(embedded, context)
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    checks.append(("intact", status.intact and status.valid and whole,
                   "signature intact, covers the whole file" if status.intact and status.valid and whole
                   else "content changed after signing" if not (status.intact and status.valid)
                   else "an incremental update was appended after signing"))
    checks.append(("chain", bool(status.trusted),
                   "certificate chains to the given CA" if status.trusted else "certificate is not from this CA"))

    signer = x509.load_der_x509_certificate(status.signing_cert.dump())
    trusted, why_not = _trusted_time(status, proof, hashlib.sha256(pdf).hexdigest(), ca)
    valid_then, detail = revocation.certificate_status(cert=signer, ca=ca, crl_pem=crl_pem, trusted=trusted, now=now)
    checks.append(("certificate", valid_then, f"{detail}; {why_not}" if why_not else detail))

    files = _attachments(reader) if whole else {}
    try:
        record = json.loads(files["record.json"])
        document = json.loads(files["seal-signature.json"])
        seal_record = document["seal"]["record"]
        try:
            ca.public_key().verify(base64.b64decode(document["seal"]["bureau_signature"]), _canonical(seal_record),
                                   ec.ECDSA(hashes.SHA256()))
            record_ok = seal_record["certificate"]["sha256"] == signer.fingerprint(hashes.SHA256()).hex()
            checks.append(("seal_record", record_ok, f"seal {seal_record['serial']} of {seal_record['unit']['name']}"
                           if record_ok else "the seal record names another certificate"))
        except InvalidSignature:
            checks.append(("seal_record", False, "the seal record is not signed by this CA"))
        canonical = _canonical(record)
        public_key = bytes.fromhex(seal_record["sm2"]["public_key"][2:])
        sm2_ok = (hashlib.sha256(canonical).hexdigest() == document["record_sha256"]
                  and bool(gmssl_pyx.sm2_verify(public_key, canonical, base64.b64decode(document["signature"]))))
        checks.append(("seal_signature", sm2_ok, "SM2/SM3 seal signature verifies over the record" if sm2_ok
                       else "SM2 seal signature does not verify"))
    except (KeyError, ValueError, TypeError):
        checks.append(("seal_signature", False, "the record and seal signature could not be read from the letter"))
    return all(ok for _, ok, _ in checks), checks


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify a sealed decision letter offline.")
    parser.add_argument("letter")
    parser.add_argument("--ca", required=True, help="the bureau CA certificate (PEM)")
    parser.add_argument("--crl", help="the bureau's current certificate revocation list (PEM)")
    parser.add_argument("--proof", help="the letter's ledger proof (JSON), a trusted signing time")
    parser.add_argument("--ses", help="a GB/T 38540 SES_Signature (.ses) over the file, checked instead of PAdES")
    parser.add_argument("--ofd", action="store_true", help="the file is an OFD letter (checked with --sm2-root)")
    parser.add_argument("--sm2-root", help="the bureau's SM2 seal-maker certificate (PEM), with --ses or --ofd")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    with open(args.letter, "rb") as handle:
        pdf = handle.read()
    with open(args.ca, "rb") as handle:
        ca_pem = handle.read()
    crl_pem = None
    if args.crl:
        with open(args.crl, "rb") as handle:
            crl_pem = handle.read()
    proof = None
    if args.proof:
        with open(args.proof, "rb") as handle:
            proof = json.load(handle)
        proof = proof.get("ledger", proof)
    try:
        if args.ses or args.ofd:
            trust = {"sm2_root_pem": open(args.sm2_root, "rb").read(), "ca_pem": ca_pem, "crl_pem": crl_pem,
                     "proof": proof, "canonical": _canonical}
            ses_offline = _sibling("ses_offline")
            ok, checks = ses_offline.verify_ofd(package=pdf, **trust) if args.ofd else ses_offline.verify_ses(
                ses=open(args.ses, "rb").read(), document=pdf, **trust)
        else:
            ok, checks = verify(pdf, ca_pem, crl_pem, proof)
    except Exception as exc:  # noqa: BLE001 - any failure to parse is a failed verification
        ok, checks = False, [("intact", False, f"cannot verify: {exc}")]
    if args.json:
        print(json.dumps({"valid": ok, "checks": [{"name": n, "ok": o, "detail": d} for n, o, d in checks]},
                         ensure_ascii=False))
    else:
        for name, passed, detail in checks:
            print(f"[{'OK' if passed else 'FAIL'}] {name}: {detail}")
        print("VALID" if ok else "NOT VALID")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
