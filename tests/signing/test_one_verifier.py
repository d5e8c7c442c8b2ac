"""One verifier: the API's verification and the offline script give the same verdict and reason for each letter."""
import datetime
import io

import pytest
from django.utils import timezone, translation

from signing import crypto, keys
from signing.letter import file_signer, letter_render, letter_sign
from signing.selectors import letter_verify
from signing.services import checkpoint_create, seal_issue, seal_revoke
from signing.verify_offline import verify
from stations.models import Unit
from tests.factories import staff_at

pytestmark = pytest.mark.django_db


def _flipped(pdf: bytes) -> bytes:
    tampered = bytearray(pdf)
    tampered[tampered.index(b"ReportLab Generated") + 3] ^= 0x01
    return bytes(tampered)


def _appended(pdf: bytes) -> bytes:
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    writer.root["/Lang"] = generic.TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _signed_with(record, *, signer, seal_png, timestamped: bool = True) -> bytes:
    rendered = letter_render(record=record, resident_name="某某", verification_code="X" * 16,
                             verification_url="http://x/verify/?code=X", bureau_name="某局", seal_serial="S")
    return letter_sign(letter=rendered, signer=signer, seal_png=seal_png, attachments={}, reason="r",
                       location="l", signer_name="n", timestamped=timestamped)


def _untrusted(record, seal_png) -> bytes:
    from cryptography.hazmat.primitives.asymmetric import ec

    ca_key, ca_cert = crypto.ca_certificate_build(common_name="Somebody else's CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = timezone.now()
    cert = crypto.seal_certificate_build(ca_key=ca_key, ca_cert=ca_cert, public_key=key.public_key(),
                                         common_name="假印章", unit_code="371702000",
                                         not_before=now - datetime.timedelta(days=1),
                                         not_after=now + datetime.timedelta(days=1))
    signer = file_signer(cert_pem=crypto.cert_to_pem(cert), private_key=key, ca_cert_pem=crypto.cert_to_pem(ca_cert))
    return _signed_with(record, signer=signer, seal_png=seal_png)


@pytest.fixture
def letters(sealed, seal, ca, workstation, keeper, make_record, seal_decision):
    """The six letters of the issue and an unregistered one by a revoked seal, by the reason both paths must give."""
    record = make_record(unit=workstation, reviewer=keeper)
    other = Unit.objects.filter(kind=Unit.Kind.COUNTY_WORKSTATION).exclude(pk=workstation.pk).order_by("code").first()
    other_keeper = staff_at(other, is_reviewer=True, is_seal_keeper=True)
    other_seal = seal_issue(unit=other, keepers=[other_keeper])
    revoked = seal_decision(record=make_record(unit=other, reviewer=other_keeper), unit=other, user=other_keeper)
    seal_revoke(seal=other_seal, reason="密钥泄露", at=revoked.sealed_at - datetime.timedelta(minutes=1))
    past = timezone.now() - datetime.timedelta(days=10)
    # The expired seal belongs to a third unit (one active seal per unit).
    third = Unit.objects.filter(kind=Unit.Kind.COUNTY_WORKSTATION).exclude(pk__in=[workstation.pk, other.pk]) \
        .order_by("code").first()
    expired_seal = seal_issue(unit=third, valid_from=past - datetime.timedelta(days=30), valid_until=past)
    return {
        "ok": bytes(sealed.letter_pdf),
        "altered": _flipped(bytes(sealed.letter_pdf)),
        "incremental_update": _appended(bytes(sealed.letter_pdf)),
        "certificate_revoked": bytes(revoked.letter_pdf),
        "untrusted_root": _untrusted(record, bytes(seal.picture_png)),
        "certificate_expired": _signed_with(record, signer=keys.seal_pdf_signer(expired_seal),
                                            seal_png=bytes(expired_seal.picture_png)),
        # Signed with the revoked seal's key, registered nowhere and without a TSA's token: only the signer vouches
        # for its time. (With a token, its genTime after the revocation refuses it: certificate_revoked.)
        "untrusted_time": _signed_with(record, signer=keys.seal_pdf_signer(other_seal),
                                       seal_png=bytes(other_seal.picture_png), timestamped=False),
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_online_and_offline_give_the_same_verdict_and_reason(letters, ca, language):
    checkpoint_create()  # offline, the ledger proof online gives is the trusted time
    ca.refresh_from_db()
    ca_pem, crl_pem = ca.cert_pem.encode(), ca.crl_pem.encode()
    for expected, pdf in letters.items():
        with translation.override(language):
            online = letter_verify(pdf=pdf)
        offline = verify(pdf, ca_pem, crl_pem, online["ledger"], lang=language)
        assert online["reason"]["code"] == offline["reason"]["code"] == expected, (expected, online, offline)
        assert online["valid"] is offline["valid"] is (expected == "ok")
        if expected != "ok":
            assert online["reason"]["detail"] == offline["reason"]["detail"], expected
        pdf_checks = ("intact", "chain", "certificate")
        assert [(c["name"], c["ok"], c["code"]) for c in online["checks"] if c["name"] in pdf_checks] == [
            (c["name"], c["ok"], c["code"]) for c in offline["checks"] if c["name"] in pdf_checks], expected


def test_a_flipped_byte_is_reported_as_altered_in_plain_words(letters):
    with translation.override("zh-hans"):
        result = letter_verify(pdf=letters["altered"])
    assert result["reason"] == {"code": "altered", "detail": "文件在盖章后被改动过：内容与签名不符。"}
    assert "根证书" not in result["reason"]["detail"]
    with translation.override("en"):
        english = letter_verify(pdf=letters["altered"])["reason"]["detail"]
    assert english != result["reason"]["detail"] and "altered" in english.lower()
