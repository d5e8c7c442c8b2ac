"""Verifying letters and seal-signature files: each kind of tampering is reported by the right check."""
import datetime
import io
import json

import pytest
from django.conf import settings
from django.utils import timezone

from signing import crypto, keys
from signing.letter import file_signer, letter_render, letter_sign
from signing.selectors import letter_verify, seal_signature_file, signature_file_verify, verification_by_code
from signing.services import seal_issue

pytestmark = pytest.mark.django_db


def _check(result, name):
    return next(c for c in result["checks"] if c["name"] == name)


def _refused(result, name, code):
    """`name` failed with `code`, and nothing before it failed (the reason given is the first failure)."""
    check = _check(result, name)
    assert not result["valid"] and not check["ok"], result["checks"]
    assert check["code"] == code, check
    assert result["reason"]["code"] == code, result["reason"]


def test_one_flipped_byte_breaks_the_signature(sealed):
    pdf = bytearray(sealed.letter_pdf)
    at = pdf.index(b"ReportLab Generated") + 3
    pdf[at] ^= 0x01
    _refused(letter_verify(pdf=bytes(pdf)), "intact", "altered")


def test_incremental_update_after_signing_is_reported(sealed):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(bytes(sealed.letter_pdf)))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    result = letter_verify(pdf=out.getvalue())
    _refused(result, "intact", "incremental_update")


def _foreign_letter(record, *, key, cert_pem, ca_pem, seal_png):
    rendered = letter_render(record=record, resident_name="某某", verification_code="X" * 16,
                             verification_url="http://x/verify/?code=X", bureau_name="假冒局", seal_serial="FAKE")
    return letter_sign(letter=rendered, signer=file_signer(cert_pem=cert_pem, private_key=key, ca_cert_pem=ca_pem),
                       seal_png=seal_png, attachments={}, reason="fake", location="fake", signer_name="fake")


def test_untrusted_root_is_reported(seal, workstation, keeper, make_record):
    from cryptography.hazmat.primitives.asymmetric import ec

    ca_key, ca_cert = crypto.ca_certificate_build(common_name="Somebody else's CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    cert = crypto.seal_certificate_build(ca_key=ca_key, ca_cert=ca_cert, public_key=key.public_key(),
                                         common_name="假印章", unit_code=workstation.code,
                                         not_before=now - datetime.timedelta(days=1),
                                         not_after=now + datetime.timedelta(days=1))
    pdf = _foreign_letter(make_record(unit=workstation, reviewer=keeper), key=key, cert_pem=crypto.cert_to_pem(cert),
                          ca_pem=crypto.cert_to_pem(ca_cert), seal_png=bytes(seal.picture_png))
    result = letter_verify(pdf=pdf)
    _refused(result, "chain", "untrusted_root")
    assert _check(result, "certificate")["code"] == "not_checked"
    assert result["decision"] is None


def test_letter_signed_with_an_expired_certificate_is_reported(ca, workstation, keeper, make_record):
    past = timezone.now() - datetime.timedelta(days=10)
    expired = seal_issue(unit=workstation, keepers=[keeper], valid_from=past - datetime.timedelta(days=30),
                         valid_until=past)
    record = make_record(unit=workstation, reviewer=keeper)
    rendered = letter_render(record=record, resident_name="某某", verification_code="Y" * 16,
                             verification_url="http://x/verify/?code=Y", bureau_name="局", seal_serial=expired.serial)
    signed = letter_sign(letter=rendered, signer=keys.seal_pdf_signer(expired), seal_png=bytes(expired.picture_png),
                         attachments={}, reason="r", location="l", signer_name="n")
    result = letter_verify(pdf=signed)
    _refused(result, "certificate", "certificate_expired")


def test_verification_by_code_and_no_personal_data(sealed):
    result = verification_by_code(code=sealed.verification_code.lower())
    assert result["valid"]
    text = json.dumps(result, ensure_ascii=False)
    resident = sealed.record["resident"]
    for secret in (resident["id_hmac"], resident["id_masked"], resident["name_masked"], "张三丰",
                   sealed.record["reviewer"]["name"]):
        assert secret not in text
    assert verification_by_code(code="NOPE") is None


def test_seal_signature_file_with_its_record(sealed):
    document = json.loads(seal_signature_file(sealed=sealed))
    assert document["algorithm"] == "SM2-with-SM3" and document["record_sha256"] == sealed.record_hash
    assert signature_file_verify(document=document, record=sealed.record)["valid"]
    forged = {**sealed.record, "decision": "reject"}
    _refused(signature_file_verify(document=document, record=forged), "seal_signature", "seal_signature_failed")
    bad_signature = {**document, "record_sha256": crypto.record_hash(forged)}
    _refused(signature_file_verify(document=bad_signature, record=forged), "seal_signature", "seal_signature_failed")
    forged_seal = json.loads(json.dumps(document))
    forged_seal["seal"]["record"]["unit"]["name"] = "别的单位"
    _refused(signature_file_verify(document=forged_seal, record=sealed.record), "seal_signature",
             "seal_signature_failed")


def test_not_a_pdf():
    result = letter_verify(pdf=b"hello")
    assert not result["valid"] and result["reason"]["code"] == "unreadable"


def test_letter_shows_the_verification_url(sealed):
    from pypdf import PdfReader

    text = PdfReader(io.BytesIO(bytes(sealed.letter_pdf))).pages[0].extract_text()
    assert f"{settings.PUBLIC_BASE_URL}/verify/?code={sealed.verification_code}" in text.replace("\n", "")


def _flip_in_signature_value(pdf: bytes) -> bytes:
    """Change one hex digit inside the CMS signature value (the signer's, not the timestamp token's after it)."""
    from asn1crypto import cms

    start = pdf.index(b"/Contents <") + len(b"/Contents <")
    end = pdf.index(b">", start)
    content = cms.ContentInfo.load(bytes.fromhex(pdf[start:end].decode()), strict=False)
    value = content["content"]["signer_infos"][0]["signature"].native.hex().encode()
    at = start + pdf[start:end].lower().index(value) + len(value) - 8
    flipped = b"1" if pdf[at:at + 1] != b"1" else b"2"
    return pdf[:at] + flipped + pdf[at + 1:]


def test_a_changed_cms_signature_value_is_refused_after_the_certificate_was_cached(sealed):
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]  # the certificate's chain is now cached
    result = letter_verify(pdf=_flip_in_signature_value(bytes(sealed.letter_pdf)))
    assert result["reason"]["code"] in ("altered", "signature_damaged"), result["reason"]
    assert _check(result, "chain")["code"] == "not_checked"


def test_a_flipped_byte_is_refused_after_the_same_certificate_verified(sealed):
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]
    pdf = bytearray(sealed.letter_pdf)
    pdf[pdf.index(b"ReportLab Generated") + 3] ^= 0x01
    _refused(letter_verify(pdf=bytes(pdf)), "intact", "altered")


def test_a_revocation_after_a_cached_verification_is_seen_by_the_next_one(sealed, seal):
    from signing.selectors import trust_context
    from signing.services import seal_revoke

    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]
    cached = trust_context()
    seal_revoke(seal=seal, reason="密钥泄露", at=sealed.sealed_at - datetime.timedelta(minutes=1))
    assert trust_context() is not cached  # a new CRL number: CA and CRL are loaded again
    _refused(letter_verify(pdf=bytes(sealed.letter_pdf)), "certificate", "certificate_revoked")


def test_the_signed_revocation_list_is_consulted_not_only_the_seal_register(sealed, seal):
    from signing.models import Seal
    from signing.services import seal_revoke

    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]
    seal_revoke(seal=seal, reason="密钥泄露", at=sealed.sealed_at - datetime.timedelta(minutes=1))
    Seal.objects.filter(pk=seal.pk).update(revoked_at=None, status=Seal.Status.ACTIVE)  # the register loses it
    _refused(letter_verify(pdf=bytes(sealed.letter_pdf)), "certificate", "certificate_revoked")


@pytest.mark.parametrize("key", ["letter_sha256", "record_hash"])
def test_the_verification_read_holds_the_seal_entry_and_ca_version_without_the_letter(sealed, key):
    from signing.selectors.verification import _sealed_for_verification

    read = _sealed_for_verification(key=key, value=getattr(sealed, key))
    assert read.pk == sealed.pk and read.seal.pk == sealed.seal_id and read.ledger_entry.pk == sealed.ledger_entry_id
    assert read.seal.unit.pk == sealed.seal.unit_id
    assert read.ca_version == (sealed.seal.ca_id, sealed.seal.ca.fingerprint, sealed.seal.ca.crl_number)
    assert {"letter_pdf", "letter_ofd"} <= read.get_deferred_fields()
    assert _sealed_for_verification(key=key, value="0" * 64) is None


def test_a_letter_newer_than_the_latest_checkpoint_is_checked_along_the_chain(sealed, seal, workstation, keeper,
                                                                              make_record, seal_decision):
    from signing.services import checkpoint_create

    checkpoint_create()
    newer = seal_decision(record=make_record(unit=workstation, reviewer=keeper), unit=workstation, user=keeper)
    result = letter_verify(pdf=bytes(newer.letter_pdf))
    assert result["valid"], result["checks"]
    assert "checkpoint" not in result["ledger"] and "下一个签名检查点" in _check(result, "ledger")["detail"]
    assert "checkpoint" in letter_verify(pdf=bytes(sealed.letter_pdf))["ledger"]


def test_the_embedded_record_bytes_are_used_only_when_they_are_the_canonical_ones():
    from signing.selectors.verification import _canonical_record

    record = {"b": 1, "a": "审批"}
    canonical = crypto.canonical(record)
    spaced = json.dumps(record, indent=2).encode()
    stored = crypto.sha256_hex(canonical)
    assert _canonical_record(canonical, record, stored_hash=stored) is canonical
    assert _canonical_record(spaced, record, stored_hash=stored) == canonical
    assert _canonical_record(spaced, record, stored_hash=None) == canonical
    assert _canonical_record(None, None, stored_hash=stored) is None


def test_a_checkpoint_signed_by_a_ca_added_after_a_cached_verification_is_checked(sealed, seal):
    from signing.services import ca_create, checkpoint_create

    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]  # the trust context now holds the first CA only
    new_ca = ca_create(replace=True)
    checkpoint = checkpoint_create()
    assert checkpoint.ca_id == new_ca.pk
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    assert result["valid"], result["checks"]
    assert result["ledger"]["checkpoint"]["ca_sha256"] == new_ca.fingerprint


def test_a_signer_without_a_right_at_the_ledger_time_is_refused(sealed, seal, keeper):
    from signing.models import SealKeeper

    right = SealKeeper.objects.get(seal=seal, user=keeper)
    SealKeeper.objects.filter(pk=right.pk).update(granted_at=sealed.sealed_at + datetime.timedelta(days=1))
    _refused(letter_verify(pdf=bytes(sealed.letter_pdf)), "signer", "signer_failed")
    SealKeeper.objects.create(seal=seal, user=keeper, granted_at=right.granted_at,
                              removed_at=sealed.sealed_at + datetime.timedelta(hours=1))  # a second, earlier right
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]
    SealKeeper.objects.filter(pk=right.pk).delete()
    SealKeeper.objects.filter(seal=seal, user=keeper).update(removed_at=sealed.sealed_at - datetime.timedelta(hours=1))
    _refused(letter_verify(pdf=bytes(sealed.letter_pdf)), "signer", "signer_failed")
