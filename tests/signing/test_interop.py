"""Second opinions: poppler's pdfsig (NSS), OpenSSL 3 for SM2, SoftHSM2 for PKCS#11 keys, the offline script."""
import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest

from signing import crypto, keys
from tests.system_tools import needs, require

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _run(*args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs)


@needs("pdfsig")
def test_pdfsig_trusts_the_letter_given_the_bureau_ca(sealed, tmp_path):
    nss = tmp_path / "nss"
    nss.mkdir()
    (tmp_path / "ca.pem").write_text(sealed.seal.ca.cert_pem)
    assert _run("certutil", "-N", "-d", f"sql:{nss}", "--empty-password").returncode == 0
    assert _run("certutil", "-A", "-d", f"sql:{nss}", "-n", "bureau", "-t", "CT,C,C",
                "-i", str(tmp_path / "ca.pem")).returncode == 0
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(bytes(sealed.letter_pdf))
    out = _run("pdfsig", "-nssdir", f"sql:{nss}", str(letter)).stdout
    assert "Signature is Valid." in out and "Certificate is Trusted." in out, out
    assert "Total document signed" in out or "signed" in out
    tampered = bytearray(sealed.letter_pdf)
    tampered[tampered.index(b"ReportLab Generated") + 3] ^= 0x01
    letter.write_bytes(bytes(tampered))
    assert "Digest Mismatch." in _run("pdfsig", "-nssdir", f"sql:{nss}", str(letter)).stdout


@needs("openssl-sm2")
def test_openssl_verifies_the_sm2_seal_signature(sealed, tmp_path):
    (tmp_path / "pub.pem").write_text(crypto.sm2_public_key_pem(bytes.fromhex(sealed.seal.sm2_public_key[2:])))
    (tmp_path / "msg").write_bytes(crypto.canonical(sealed.record))
    (tmp_path / "sig").write_bytes(crypto.unb64(sealed.sm2_signature))
    command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
               "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", str(tmp_path / "msg"),
               "-sigfile", str(tmp_path / "sig")]
    result = _run(*command)
    assert result.returncode == 0 and "Signature Verified Successfully" in result.stdout, result.stderr
    (tmp_path / "msg").write_bytes(crypto.canonical({**sealed.record, "decision": "reject"}))
    assert _run(*command).returncode != 0


def test_sm2_sign_matches_gmssl_message_form():
    """crypto.sm2_sign signs SM3(Z_A || M) itself: gmssl's message-form verifier (which computes Z_A on its own)
    accepts it, and a private key that does not match the public key is refused, not signed with."""
    import gmssl_pyx

    public, private = crypto.sm2_keypair()
    other_public, _other_private = crypto.sm2_keypair()
    for message in (b"", b"abc", "审批记录".encode() * 50):
        signature = crypto.sm2_sign(private, public, message)
        assert gmssl_pyx.sm2_verify(public, message, signature)
        assert crypto.sm2_verify(public, message, gmssl_pyx.sm2_sign(private, public, message))
        assert not gmssl_pyx.sm2_verify(public, message + b"x", signature)
    with pytest.raises(ValueError):
        crypto.sm2_sign(private, other_public, b"abc")


@pytest.fixture
def softhsm(tmp_path, settings, monkeypatch):
    require("softhsm")
    tokens = tmp_path / "tokens"
    tokens.mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    result = _run("softhsm2-util", "--init-token", "--free", "--label", "seals", "--pin", "4321", "--so-pin", "8765",
                  env={**os.environ, "SOFTHSM2_CONF": str(conf)})
    assert result.returncode == 0, result.stderr
    settings.SIGNING_PKCS11_PIN = "4321"
    keys.pkcs11_reset()
    yield "seals"
    keys.pkcs11_reset()


def test_softhsm2_seal_signs_a_verifiable_letter(softhsm, ca, workstation, keeper, make_record, seal_decision):
    from signing.selectors import letter_verify
    from signing.services import seal_issue

    seal = seal_issue(unit=workstation, key_backend="pkcs11", pkcs11_token=softhsm, keepers=[keeper])
    assert seal.key_pem == "" and seal.pkcs11_key_label == seal.serial
    sealed = seal_decision(record=make_record(unit=workstation, reviewer=keeper), unit=workstation, user=keeper)
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    assert result["valid"], result["checks"]


def test_offline_script_needs_only_the_ca_its_crl_and_the_ledger_proof(sealed, seal, tmp_path):
    import json

    from django.utils import timezone

    from signing.selectors import letter_verify
    from signing.services import checkpoint_create, seal_revoke

    checkpoint_create()
    script = ROOT / "signing" / "verify_offline.py"
    letter, ca_pem, crl_pem, proof = (tmp_path / name for name in ("letter.pdf", "ca.pem", "crl.pem", "proof.json"))
    letter.write_bytes(bytes(sealed.letter_pdf))
    ca_pem.write_text(seal.ca.cert_pem)
    crl_pem.write_text(seal.ca.crl_pem)
    proof.write_text(json.dumps(letter_verify(pdf=bytes(sealed.letter_pdf))))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    ok = _run(sys.executable, str(script), str(letter), "--ca", str(ca_pem), "--crl", str(crl_pem),
              "--proof", str(proof), env=env, cwd=tmp_path)
    assert ok.returncode == 0 and "VALID" in ok.stdout, ok.stdout + ok.stderr
    assert "[OK] seal_signature" in ok.stdout and "的时间戳" in ok.stdout  # the time is the TSA's token's

    # The same checks in-process (a subprocess start costs seconds on a busy machine).
    from signing.verify_offline import verify

    # A CRL states revocation times in whole seconds: one second on, the truncated time is still after the sealing.
    seal_revoke(seal=seal, reason="轮换后吊销", at=timezone.now() + datetime.timedelta(seconds=1))
    seal.ca.refresh_from_db()
    ca_bytes, crl_bytes = seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode()
    ledger_proof = json.loads(proof.read_text())["ledger"]
    result = verify(bytes(sealed.letter_pdf), ca_bytes, crl_bytes, ledger_proof)
    certificate = next(c for c in result["checks"] if c["name"] == "certificate")
    assert result["valid"] and "吊销，此前盖章的决定书仍然有效" in certificate["detail"], result
    # Without the proof the letter's own timestamp token vouches for the time; with neither (a TSA root that is
    # not trusted here), only the signer does, and a revoked certificate then never verifies.
    assert verify(bytes(sealed.letter_pdf), ca_bytes, crl_bytes)["valid"]
    _, stranger = crypto.ca_certificate_build(common_name="some other TSA root")
    assert verify(bytes(sealed.letter_pdf), ca_bytes, crl_bytes, tsa_roots_pem=crypto.cert_to_pem(stranger).encode()
                  )["reason"]["code"] == "timestamp_untrusted"

    tampered = bytearray(sealed.letter_pdf)
    tampered[tampered.index(b"ReportLab Generated") + 3] ^= 0x01
    result = verify(bytes(tampered), ca_bytes)
    assert not result["valid"] and result["reason"]["code"] == "altered"
    assert (result["checks"][0]["name"], result["checks"][0]["ok"]) == ("intact", False)

    _, other_ca = crypto.ca_certificate_build(common_name="other")
    result = verify(bytes(sealed.letter_pdf), crypto.cert_to_pem(other_ca).encode())
    assert not result["valid"] and result["reason"]["code"] == "untrusted_root"
