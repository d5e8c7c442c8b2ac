"""A thief with a revoked seal's keys: back-dated and post-revocation letters fail online and offline, with or without
a CRL; a stale CRL is refused; a genuine letter proves its time with the bureau's ledger."""
import datetime

import pytest
import time_machine
from django.utils import timezone

from signing.selectors import letter_verify
from signing.services import checkpoint_create, seal_revoke
from signing.verify_offline import verify
from tests.support.forgery import forge, names

pytestmark = pytest.mark.django_db


@pytest.fixture
def revoked(seal, workstation, keeper, make_record):
    """The seal revoked now; a back-dated forgery (signing time before the revocation) and one signed after."""
    now = timezone.now()
    seal_revoke(seal=seal, reason="印章密钥被盗", at=now)
    seal.ca.refresh_from_db()
    back_dated = forge(seal=seal, record=make_record(unit=workstation, reviewer=keeper),
                       when=now - datetime.timedelta(seconds=30))
    after = forge(seal=seal, record=make_record(unit=workstation, reviewer=keeper),
                  when=now + datetime.timedelta(seconds=2))
    return seal, back_dated, after


def test_forgeries_with_a_revoked_seal_fail_offline_with_and_without_a_crl(revoked):
    seal, back_dated, after = revoked
    ca, crl = seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode()
    for letter in (back_dated, after):
        for crl_given, code in ((crl, "untrusted_time"), (None, "revocation_unknown")):
            result = verify(letter, ca, crl_given)
            assert not result["valid"] and result["reason"]["code"] == code, result
            assert names(result)["certificate"] == (False, code)
            # Everything else about the forgery is in order: the time is what gives it away.
            assert names(result)["intact"][0] and names(result)["chain"][0]


def test_forgeries_with_a_revoked_seal_fail_online(revoked):
    _seal, back_dated, after = revoked
    for letter in (back_dated, after):
        result = letter_verify(pdf=letter)
        assert result["reason"]["code"] == "untrusted_time", result
        assert names(result)["certificate"] == (False, "untrusted_time") and names(result)["ledger"][0] is False


def test_a_stale_crl_is_refused(sealed, seal):
    ca, crl = seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode()
    assert verify(bytes(sealed.letter_pdf), ca, crl)["valid"]
    later = timezone.now() + datetime.timedelta(days=8)  # past the CRL's next_update (7 days)
    result = verify(bytes(sealed.letter_pdf), ca, crl, now=later)
    assert not result["valid"] and names(result)["certificate"] == (False, "crl_stale")


def test_a_crl_not_signed_by_the_ca_is_refused(sealed, seal):
    """A CRL naming the bureau as issuer but signed by another key (one that leaves the seal off)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import Encoding

    bureau = x509.load_pem_x509_certificate(seal.ca.cert_pem.encode())
    now = timezone.now()
    forged = (x509.CertificateRevocationListBuilder().issuer_name(bureau.subject).last_update(now)
              .next_update(now + datetime.timedelta(days=7)).sign(ec.generate_private_key(ec.SECP256R1()),
                                                                  hashes.SHA256()))
    result = verify(bytes(sealed.letter_pdf), seal.ca.cert_pem.encode(), forged.public_bytes(Encoding.PEM))
    assert not result["valid"] and names(result)["certificate"] == (False, "crl_invalid")


def test_without_a_crl_revocation_is_unknown(sealed, seal):
    result = verify(bytes(sealed.letter_pdf), seal.ca.cert_pem.encode(), None)
    assert not result["valid"] and result["reason"]["code"] == "revocation_unknown"


def test_a_genuine_letter_proves_its_time_with_the_ledger(sealed, seal):
    """Sealed before the revocation: valid with the bureau's ledger proof, not without it."""
    checkpoint_create()
    proof = letter_verify(pdf=bytes(sealed.letter_pdf))["ledger"]
    seal_revoke(seal=seal, reason="更换", at=timezone.now() + datetime.timedelta(seconds=1))
    seal.ca.refresh_from_db()
    ca, crl = seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode()
    result = verify(bytes(sealed.letter_pdf), ca, crl, proof)
    # The token's time is the one judged by; the ledger proof is checked and reported too.
    assert result["valid"] and result["trusted_time"]["source"] == "timestamp", result
    assert verify(bytes(sealed.letter_pdf), ca, crl)["valid"]  # its own timestamp token proves the time too

    forged_proof = {**proof, "entry": {**proof["entry"], "created_at": "2000-01-01T00:00:00.000000Z"}}
    assert verify(bytes(sealed.letter_pdf), ca, crl, forged_proof)["trusted_time"]["problem"]
    other_letter = bytes(sealed.letter_pdf) + b"\n"
    assert not verify(other_letter, ca, crl, proof)["valid"]


def test_beat_refreshes_the_crl_before_it_goes_stale(ca):
    from cryptography import x509

    from config.celery import app
    from signing.tasks import crl_refresh_daily

    assert app.conf.beat_schedule["signing-crl-refresh"]["task"] == crl_refresh_daily.name
    before = x509.load_pem_x509_crl(ca.crl_pem.encode())
    with time_machine.travel(timezone.now() + datetime.timedelta(days=6)):
        assert crl_refresh_daily() == 1
    ca.refresh_from_db()
    after = x509.load_pem_x509_crl(ca.crl_pem.encode())
    assert after.next_update_utc > before.next_update_utc + datetime.timedelta(days=5)
