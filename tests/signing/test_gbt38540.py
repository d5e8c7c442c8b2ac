"""GB/T 38540 seals and signatures on SM2 certificates: the DER read by a decoder written here from the standard,
OpenSSL 3 verifying the certificates and both SM2 signatures, and verification online, over HTTP and offline."""
import datetime
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from signing import crypto, gbt38540, sm2_certs
from signing.models import Seal
from signing.selectors import letter_verify
from signing.services import checkpoint_create, seal_revoke
from signing.ses_offline import verify_ses
from signing.ses_verify import ses_verify
from tests.support.forgery import without_time_stamp
from tests.support.ses import read_ses

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
DISTID = "distid:1234567812345678"


def test_the_letter_has_a_ses_signature_a_decoder_from_the_standard_reads(sealed, seal):
    import gmssl_pyx

    seal.refresh_from_db()
    ses = read_ses(bytes(sealed.ses_signature))
    assert ses["es_id"] == seal.serial and ses["name"] == seal.name and ses["size_mm"] == (42, 42)
    assert ses["png"] == bytes(seal.picture_png) and ses["png"].startswith(b"\x89PNG")
    assert ses["holder_certs"] == [ses["signer_cert"]] == [sm2_certs.from_pem(seal.sm2_cert_pem).dump()]
    assert ses["maker_cert"] == sm2_certs.from_pem(seal.ca.sm2_cert_pem).dump()
    assert ses["data_hash"] == gmssl_pyx.sm3_hash(bytes(sealed.letter_pdf))
    assert bytes(seal.seseal_der) in bytes(sealed.ses_signature)


def _run(*args):
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl")
def test_openssl_verifies_the_sm2_certificates_and_both_signatures(sealed, seal, tmp_path):
    seal.refresh_from_db()
    ses = read_ses(bytes(sealed.ses_signature))
    files = {"maker.pem": seal.ca.sm2_cert_pem, "holder.pem": sm2_certs.to_pem(ses["signer_cert"])}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = _run("openssl", "verify", "-vfyopt", DISTID, "-CAfile", str(tmp_path / "maker.pem"),
                  str(tmp_path / "holder.pem"))
    assert result.returncode == 0 and "OK" in result.stdout, result.stdout + result.stderr
    text = _run("openssl", "x509", "-in", str(tmp_path / "holder.pem"), "-noout", "-text").stdout
    assert "SM2-with-SM3" in text and "Digital Signature" in text

    for signer, message, signature in (("holder.pem", ses["tbs"], ses["signature"]),
                                       ("maker.pem", ses["seal_info"], ses["seal_signature"])):
        pub = tmp_path / f"{signer}.pub"
        pub.write_text(_run("openssl", "x509", "-in", str(tmp_path / signer), "-pubkey", "-noout").stdout)
        (tmp_path / "msg").write_bytes(message)
        (tmp_path / "sig").write_bytes(signature)
        command = ("openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(pub), "-rawin", "-digest", "sm3",
                   "-pkeyopt", DISTID, "-in", str(tmp_path / "msg"), "-sigfile", str(tmp_path / "sig"))
        verified = _run(*command)
        assert verified.returncode == 0 and "Signature Verified Successfully" in verified.stdout, verified.stderr
        (tmp_path / "msg").write_bytes(message[:-1] + bytes([message[-1] ^ 1]))
        assert _run(*command).returncode != 0


def test_online_verification_of_the_ses_with_its_document(sealed):
    ses, letter = bytes(sealed.ses_signature), bytes(sealed.letter_pdf)
    result = ses_verify(ses=ses, document=letter)
    assert result["valid"], result["checks"]
    assert result["decision"]["verification_code"] == sealed.verification_code
    changed = ses_verify(ses=ses, document=letter + b" ")
    assert not changed["valid"] and {c["name"]: c["ok"] for c in changed["checks"]}["document"] is False
    assert not ses_verify(ses=b"\x30\x03\x02\x01\x04", document=letter)["valid"]
    for broken in (ses[:200], ses[:-5], ses[:300] + bytes([ses[300] ^ 0xFF]) + ses[301:]):
        assert not ses_verify(ses=broken, document=letter)["valid"]  # a failed verification, not an error


def _upload(data: bytes, name: str):
    handle = io.BytesIO(data)
    handle.name = name
    return handle


def test_ses_over_http(sealed, keeper, case_hook):
    client = APIClient()
    url = f"/api/v1/cases/{sealed.case_id}/seal-signature"
    client.force_authenticate(keeper)
    assert client.get(url).status_code == 404
    case_hook.add((keeper.pk, sealed.case_id))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert response.content == bytes(sealed.ses_signature) and ".ses" in response["Content-Disposition"]
    verified = APIClient().post("/api/v1/signing/verify/", {
        "ses": _upload(response.content, "letter.ses"), "document": _upload(bytes(sealed.letter_pdf), "l.pdf")},
        format="multipart")
    assert verified.status_code == 200 and verified.json()["valid"], verified.json()
    missing = APIClient().post("/api/v1/signing/verify/", {"ses": _upload(response.content, "letter.ses")},
                               format="multipart")
    assert missing.status_code == 400 and missing.json()["code"] == "missing_part"


def test_offline_ses_verification_needs_a_trusted_time_once_the_seal_is_revoked(sealed, seal, tmp_path):
    checkpoint_create()
    proof = letter_verify(pdf=bytes(sealed.letter_pdf))
    seal_revoke(seal=seal, reason="更换", at=timezone.now() + datetime.timedelta(seconds=1))
    seal.refresh_from_db()
    seal.ca.refresh_from_db()
    ses, letter = bytes(sealed.ses_signature), bytes(sealed.letter_pdf)
    trust = {"sm2_root_pem": seal.ca.sm2_cert_pem.encode(), "ca_pem": seal.ca.cert_pem.encode(),
             "crl_pem": seal.ca.crl_pem.encode()}
    valid, checks = verify_ses(ses=ses, document=letter, proof=proof["ledger"], **trust)
    assert valid, checks
    assert verify_ses(ses=ses, document=letter, **trust)[0]  # its own timestamp token proves the time
    stripped = without_time_stamp(ses)
    assert not verify_ses(ses=stripped, document=letter, **trust)[0]  # revoked, and no time but the signer's
    assert verify_ses(ses=stripped, document=letter, proof=proof["ledger"], **trust)[0] is False  # sealed since
    assert not verify_ses(ses=ses, document=letter, proof=proof["ledger"], **{**trust, "crl_pem": None})[0]

    # A thief signs a new document with the revoked seal's SM2 key, dated before the revocation.
    other = b"%PDF-1.7 forged decision"
    forged = gbt38540.signature_build(
        seseal=bytes(seal.seseal_der), signer_cert=sm2_certs.from_pem(seal.sm2_cert_pem).dump(), document=other,
        property_info="letter.pdf", signed_at=timezone.now() - datetime.timedelta(minutes=1),
        sign=lambda message: crypto.sm2_sign(_seal_key(seal), bytes.fromhex(seal.sm2_public_key[2:]), message))
    assert gbt38540.signature_checks(gbt38540.parse(forged), document=other,
                                     root=sm2_certs.from_pem(seal.ca.sm2_cert_pem))[0][1]
    assert not verify_ses(ses=forged, document=other, **trust)[0]
    assert not verify_ses(ses=forged, document=other, proof=proof["ledger"], **trust)[0]
    assert not ses_verify(ses=forged, document=other)["valid"]

    for name, data in (("letter.pdf", letter), ("letter.ses", ses), ("maker.pem", trust["sm2_root_pem"]),
                       ("ca.pem", trust["ca_pem"]), ("crl.pem", trust["crl_pem"]),
                       ("proof.json", json.dumps(proof).encode())):
        (tmp_path / name).write_bytes(data)
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    script = [sys.executable, str(ROOT / "signing" / "verify_offline.py"), "letter.pdf", "--ses", "letter.ses",
              "--sm2-root", "maker.pem", "--ca", "ca.pem", "--crl", "crl.pem"]
    ok = subprocess.run(script + ["--proof", "proof.json"], capture_output=True, text=True, timeout=120, env=env,
                        cwd=tmp_path)
    assert ok.returncode == 0 and "[OK] seseal" in ok.stdout, ok.stdout + ok.stderr


def _seal_key(seal):
    from signing import keys

    return keys.seal_sm2_private_key(seal)


def test_command_gives_older_seals_their_sm2_certificate_and_seseal(seal):
    Seal.objects.filter(pk=seal.pk).update(sm2_cert_pem="", seseal_der=b"")
    call_command("signing_sm2_certificates", stdout=io.StringIO())
    seal.refresh_from_db()
    cert = sm2_certs.from_pem(seal.sm2_cert_pem)
    assert sm2_certs.issued_by(cert, sm2_certs.from_pem(seal.ca.sm2_cert_pem))
    assert format(cert.serial_number, "x") == seal.cert_serial  # the bureau's one CRL revokes both
    parsed = gbt38540.SESeal.load(bytes(seal.seseal_der))
    assert parsed["e_seal_info"]["es_id"].native == seal.serial
