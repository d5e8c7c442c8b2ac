#!/usr/bin/env python3
"""Verify a sealed letter offline, with the bureau's CA certificate, its current CRL and the letter's ledger proof.

    python signing/verify_offline.py letter.pdf --ca ca.pem --crl crl.pem [--proof ledger.json] [--tsa-root tsa.pem]
                                     [--json] [--lang en]
    python signing/verify_offline.py letter.pdf --ses letter.ses --sm2-root maker.pem --ca ca.pem --crl crl.pem …
    python signing/verify_offline.py letter.ofd --ofd --sm2-root maker.pem --ca ca.pem --crl crl.pem …

Run it from a copy of the project (it imports signing/pades.py, the one PDF verifier the service uses too). Needs
pyHanko, gmssl-pyx and rfc8785 (no Django, no network, no database). Checks, in order:
  1. the PDF signature is intact and covers the whole file (no later incremental update),
  2. the signing certificate chains to the given CA,
  3. the certificate was valid and not revoked at a trusted time (signing/revocation.py, signing/timestamps.py): the
     signature's RFC 3161 timestamp token (its TSA chained to --tsa-root, by default the CA), or the bureau's ledger
     entry for the letter (--proof: the `ledger` part of the online verification result); the signer's own time is
     never believed. Without a current CRL the letter is not valid.
  4. the embedded seal record is signed by the CA and names this certificate,
  5. the SM2/SM3 seal signature over the embedded canonical record verifies.
The reason printed is the first check that failed, as the /verify/ page gives it, in Chinese (--lang en: English;
the words are the service's own, signing/messages.py and signing/pades.py, read from locale/).
Exit status 0 when every check passes, 1 otherwise.
"""
import argparse
import base64
import datetime
import gettext
import hashlib
import json
import os
import sys

# Run as `python signing/verify_offline.py`, this folder would shadow the standard library (signing/selectors.py):
# take it off the path and put the project's root on it, for signing.pades (and revocation, ses_offline).
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


def _trusted_at(pdf: bytes, ca_pem: bytes, proof: dict | None):
    """The signing time someone other than the signer vouches for: the bureau's ledger entry for these bytes under a
    checkpoint the CA signed (signing/revocation.py); (TrustedTime or None, why not). pades reads a timestamp
    token itself."""
    from cryptography import x509

    from signing import revocation

    if proof is None:
        return None, ""
    return revocation.ledger_time(proof=proof, document_sha256=hashlib.sha256(pdf).hexdigest(),
                                  ca=x509.load_pem_x509_certificate(ca_pem), canonical=_canonical)


def _seal_checks(verdict, ca_pem: bytes, _) -> list[tuple[str, bool, str, str]]:
    """The seal record and the SM2 seal signature embedded in the letter (checks 4 and 5)."""
    import gmssl_pyx
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from signing import messages

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
                           _(messages.SEAL_RECORD_OK) % {"serial": seal_record["serial"],
                                                         "unit": seal_record["unit"]["name"]}
                           if record_ok else _(messages.SEAL_RECORD_MISMATCH)))
        except InvalidSignature:
            checks.append(("seal_record", False, "seal_record_unsigned", _(messages.SEAL_RECORD_UNSIGNED)))
        canonical = _canonical(record)
        public_key = bytes.fromhex(seal_record["sm2"]["public_key"][2:])
        sm2_ok = (hashlib.sha256(canonical).hexdigest() == document["record_sha256"]
                  and bool(gmssl_pyx.sm2_verify(public_key, canonical, base64.b64decode(document["signature"]))))
        checks.append(("seal_signature", sm2_ok, "ok" if sm2_ok else "seal_signature_failed",
                       _(messages.SEAL_SIGNATURE_OK) if sm2_ok else _(messages.SEAL_SIGNATURE_FAILED)))
    except (KeyError, ValueError, TypeError):
        checks.append(("seal_signature", False, "seal_signature_failed", _(messages.SEAL_SIGNATURE_UNREADABLE)))
    return checks


def verify(pdf: bytes, ca_pem: bytes, crl_pem: bytes | None = None, proof: dict | None = None, *,
           lang: str = "zh-hans", now: datetime.datetime | None = None, tsa_roots_pem: bytes | None = None) -> dict:
    """{"valid", "reason": {"code", "detail"}, "checks": [{"name", "ok", "code", "detail"}], "trusted_time"}: the PDF
    checks from signing.pades (as online: judged at the timestamp token's time, else the ledger's from `proof`), then
    the seal record and the SM2 seal signature."""
    from signing import messages, pades, revocation

    _ = _translator(lang)
    trusted, why_not = _trusted_at(pdf, ca_pem, proof)
    verdict = pades.pdf_verdict(pdf, pades.TrustContext.from_pem(ca_pem, crl_pem, tsa_roots_pem),
                                trusted_at=trusted.at if trusted else None, now=now)
    if verdict.stamp is not None and verdict.stamp.at is not None:
        trusted = revocation.TrustedTime(verdict.stamp.at, "timestamp", {"tsa": verdict.stamp.tsa})
    checks = [(check.name, check.ok, str(check.code),
               _(pades.PASSED[check.name]) if check.ok else _(pades.MESSAGES[check.code]))
              for check in verdict.checks]
    if verdict.valid and verdict.revoked_at is not None:
        name, ok, code, detail = checks[-1]
        checks[-1] = (name, ok, code, _(pades.REVOKED_LATER) % {"when": verdict.revoked_at.date().isoformat()})
    if verdict.valid and verdict.stamp is None:  # an old letter: valid, and said whose time it was judged at
        name, ok, code, detail = checks[-1]
        checks[-1] = (name, ok, code, f"{detail} {_(pades.NO_TRUSTED_TIME)}")
    checks += _seal_checks(verdict, ca_pem, _)
    failed = next((c for c in checks if not c[1]), None)
    passed = ("ok", _(messages.ALL_VALID))
    moment = revocation.stamp(now or datetime.datetime.now(datetime.UTC))
    return {"valid": failed is None,
            "reason": dict(zip(("code", "detail"), failed[2:] if failed else passed, strict=True)),
            "checks": [{"name": n, "ok": o, "code": c, "detail": d} for n, o, c, d in checks],
            "trusted_time": {"at": trusted.at.isoformat() if trusted else None,
                             "source": trusted.source if trusted else None,
                             "detail": messages.time_source_text(trusted, _, now=moment),
                             "problem": _(messages.LEDGER_PROBLEMS[why_not]) if why_not else ""}}


def _ses_result(args, document: bytes, ca_pem: bytes, crl_pem: bytes | None, proof: dict | None,
                tsa_roots_pem: bytes | None) -> dict:
    """A GB/T 38540 .ses over the file, or an OFD letter (signing/ses_offline.py), in verify's shape."""
    from signing import messages, ses_offline

    _ = _translator(args.lang)
    with open(args.sm2_root, "rb") as handle:
        trust = {"sm2_root_pem": handle.read(), "ca_pem": ca_pem, "crl_pem": crl_pem, "proof": proof,
                 "canonical": _canonical, "tsa_roots_pem": tsa_roots_pem, "_": _}
    try:
        if args.ofd:
            ok, checks = ses_offline.verify_ofd(package=document, **trust)
        else:
            with open(args.ses, "rb") as handle:
                ok, checks = ses_offline.verify_ses(ses=handle.read(), document=document, **trust)
    except Exception as exc:  # noqa: BLE001 - any failure to parse is a failed verification
        ok, checks = False, [("ses_signature", False, "ses_signature_failed",
                              _(messages.CANNOT_VERIFY) % {"error": exc})]
    rows = [{"name": n, "ok": o, "code": c, "detail": d} for n, o, c, d in checks]
    failed = next((row for row in rows if not row["ok"]), None)
    reason = {"code": failed["code"], "detail": failed["detail"]} if failed else {
        "code": "ok", "detail": _(messages.SES_VALID)}
    return {"valid": ok and failed is None, "reason": reason, "checks": rows}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Verify a sealed decision letter offline.")
    parser.add_argument("letter")
    parser.add_argument("--ca", required=True, help="the bureau CA certificate (PEM)")
    parser.add_argument("--crl", help="the bureau's current certificate revocation list (PEM)")
    parser.add_argument("--proof", help="the letter's ledger proof (JSON), a trusted signing time")
    parser.add_argument("--ses", help="a GB/T 38540 SES_Signature (.ses) over the file, checked instead of PAdES")
    parser.add_argument("--ofd", action="store_true", help="the file is an OFD letter (checked with --sm2-root)")
    parser.add_argument("--sm2-root", help="the bureau's SM2 seal-maker certificate (PEM), with --ses or --ofd")
    parser.add_argument("--tsa-root", help="trusted root(s) of time-stamping authorities (PEM; default: --ca)")
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
    proof = None
    if args.proof:
        with open(args.proof, "rb") as handle:
            proof = json.load(handle)
        proof = proof.get("ledger", proof)
    tsa_roots_pem = None
    if args.tsa_root:
        with open(args.tsa_root, "rb") as handle:
            tsa_roots_pem = handle.read()
    if args.ses or args.ofd:
        result = _ses_result(args, pdf, ca_pem, crl_pem, proof, tsa_roots_pem)
    else:
        result = verify(pdf, ca_pem, crl_pem, proof, lang=args.lang, tsa_roots_pem=tsa_roots_pem)
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        for check in result["checks"]:
            print(f"[{'OK' if check['ok'] else 'FAIL'}] {check['name']}: {check['detail']}")
        if "trusted_time" in result:
            time = result["trusted_time"]
            print(f"{time['at'] or '-'}: {time['detail']} {time['problem']}".rstrip())
        print("VALID" if result["valid"] else f"NOT VALID ({result['reason']['code']}): {result['reason']['detail']}")
    ok = result["valid"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
