#!/usr/bin/env python3
"""Verify a sealed decision letter offline, with nothing but the bureau's CA certificate (and optionally its CRL).

    python signing/verify_offline.py letter.pdf --ca ca.pem [--crl crl.pem] [--json] [--lang en]

Run it from a copy of the project (it imports signing/pades.py, the one PDF verifier the service uses too). Needs
pyHanko, gmssl-pyx and rfc8785 (no Django, no network, no database). Checks, in order:
  1. the PDF signature is intact and covers the whole file (no later incremental update),
  2. the signing certificate chains to the given CA,
  3. the certificate was valid at the signing time (and not revoked then, if a CRL is given),
  4. the embedded seal record is signed by the CA and names this certificate,
  5. the SM2/SM3 seal signature over the embedded canonical record verifies.
The reason printed is the first check that failed, as the /verify/ page gives it.
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import base64
import gettext
import hashlib
import json
import os
import sys

# Run as `python signing/verify_offline.py`, this folder would shadow the standard library (signing/selectors.py):
# take it off the path and put the project's root on it, for signing.pades.
_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


def _canonical(obj) -> bytes:
    import rfc8785

    return rfc8785.dumps(obj)


def _translator(lang: str):
    """The service's own message catalogue (locale/), read with the standard library: the same words as online."""
    if lang.startswith("zh"):
        return lambda text: text
    return gettext.translation("django", localedir=os.path.join(_ROOT, "locale"), languages=[lang],
                               fallback=True).gettext


def _seal_checks(verdict, ca_pem: bytes, _) -> list[tuple[str, bool, str, str]]:
    """The seal record and the SM2 seal signature embedded in the letter (checks 4 and 5)."""
    import gmssl_pyx
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if not verdict.valid:
        return [("seal_record", False, "not_checked", _("前一项未通过，此项未检查。")),
                ("seal_signature", False, "not_checked", _("前一项未通过，此项未检查。"))]
    checks = []
    ca = x509.load_pem_x509_certificate(ca_pem)
    files = verdict.attachments
    try:
        record = json.loads(files["record.json"])
        document = json.loads(files["seal-signature.json"])
        seal_record = document["seal"]["record"]
        try:
            ca.public_key().verify(base64.b64decode(document["seal"]["bureau_signature"]), _canonical(seal_record),
                                   ec.ECDSA(hashes.SHA256()))
            record_ok = seal_record["certificate"]["sha256"] == verdict.fingerprint
            checks.append(("seal_record", record_ok, "ok" if record_ok else "seal_record_mismatch",
                           f"seal {seal_record['serial']} of {seal_record['unit']['name']}"
                           if record_ok else "the seal record names another certificate"))
        except InvalidSignature:
            checks.append(("seal_record", False, "seal_record_unsigned", "the seal record is not signed by this CA"))
        canonical = _canonical(record)
        public_key = bytes.fromhex(seal_record["sm2"]["public_key"][2:])
        sm2_ok = (hashlib.sha256(canonical).hexdigest() == document["record_sha256"]
                  and bool(gmssl_pyx.sm2_verify(public_key, canonical, base64.b64decode(document["signature"]))))
        checks.append(("seal_signature", sm2_ok, "ok" if sm2_ok else "seal_signature_failed",
                       "SM2/SM3 seal signature verifies over the record" if sm2_ok
                       else "SM2 seal signature does not verify"))
    except (KeyError, ValueError, TypeError):
        checks.append(("seal_signature", False, "seal_signature_failed",
                       "the record and seal signature could not be read from the letter"))
    return checks


def verify(pdf: bytes, ca_pem: bytes, crl_pem: bytes | None = None, *, lang: str = "zh-hans") -> dict:
    """{"valid", "reason": {"code", "detail"}, "checks": [{"name", "ok", "code", "detail"}]}: the PDF checks from
    signing.pades (as online), then the seal record and the SM2 seal signature."""
    from signing import pades

    _ = _translator(lang)
    verdict = pades.pdf_verdict(pdf, pades.TrustContext.from_pem(ca_pem, crl_pem))
    checks = [(check.name, check.ok, str(check.code),
               _(pades.PASSED[check.name]) if check.ok else _(pades.MESSAGES[check.code]))
              for check in verdict.checks]
    if verdict.valid and verdict.revoked_at is not None:
        name, ok, code, detail = checks[-1]
        checks[-1] = (name, ok, code, _(pades.REVOKED_LATER) % {"when": verdict.revoked_at.date().isoformat()})
    checks += _seal_checks(verdict, ca_pem, _)
    failed = next((c for c in checks if not c[1]), None)
    passed = ("ok", _("决定书真实有效：签名、证书和电子签章全部核验通过。"))
    return {"valid": failed is None,
            "reason": dict(zip(("code", "detail"), failed[2:] if failed else passed, strict=True)),
            "checks": [{"name": n, "ok": o, "code": c, "detail": d} for n, o, c, d in checks]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify a sealed decision letter offline.")
    parser.add_argument("letter")
    parser.add_argument("--ca", required=True, help="the bureau CA certificate (PEM)")
    parser.add_argument("--crl", help="the bureau's certificate revocation list (PEM), optional")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--lang", default="zh-hans", help="zh-hans (default) or en")
    args = parser.parse_args(argv)
    with open(args.letter, "rb") as handle:
        pdf = handle.read()
    with open(args.ca, "rb") as handle:
        ca_pem = handle.read()
    crl_pem = None
    if args.crl:
        with open(args.crl, "rb") as handle:
            crl_pem = handle.read()
    result = verify(pdf, ca_pem, crl_pem, lang=args.lang)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for check in result["checks"]:
            print(f"[{'OK' if check['ok'] else 'FAIL'}] {check['name']}: {check['detail']}")
        print("VALID" if result["valid"] else f"NOT VALID ({result['reason']['code']}): {result['reason']['detail']}")
    ok = result["valid"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
