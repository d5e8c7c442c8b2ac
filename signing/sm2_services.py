"""Writes for the GB/T 38540 side of a seal: the bureau's SM2 seal maker (制章者), each seal's SM2 certificate and
SESeal, and the SES_Signature over a sealed letter. The private keys stay encrypted at rest (crypto.secret_encrypt).

A seal's SM2 certificate carries the serial number of its PAdES certificate, so the bureau's one CRL revokes both.
"""
import datetime

from django.conf import settings
from django.db import transaction

from core.logging import get_logger
from signing import crypto, gbt38540, keys, sm2_certs, tsa
from signing.models import CertificateAuthority, Seal

log = get_logger(__name__)
MAKER_VALIDITY_DAYS = 3650
LETTER_PROPERTY_INFO = "letter.pdf"


def _maker_label(ca: CertificateAuthority) -> str:
    return f"sm2-maker:{ca.fingerprint}"


def _maker_name():
    return sm2_certs.name(organization=settings.SIGNING_BUREAU_NAME,
                          common_name=crypto.name_fit(f"{settings.SIGNING_BUREAU_NAME}电子印章制章者", 64))


def maker_keys(ca: CertificateAuthority) -> tuple[bytes, bytes]:
    """(private, public) of the CA's SM2 seal maker."""
    cert = sm2_certs.from_pem(ca.sm2_cert_pem)
    return crypto.secret_decrypt(ca.sm2_private_key, label=_maker_label(ca)), sm2_certs.public_key_of(cert)


@transaction.atomic
def sm2_maker_ensure(*, ca: CertificateAuthority) -> CertificateAuthority:
    """The CA's SM2 root, which is the bureau's seal maker: made once, self-signed SM2-with-SM3."""
    ca = CertificateAuthority.objects.select_for_update().get(pk=ca.pk)
    if ca.sm2_cert_pem:
        return ca
    public, private = crypto.sm2_keypair()
    now = datetime.datetime.now(datetime.UTC)
    der = sm2_certs.certificate_build(
        subject=_maker_name(), public_key=public, issuer_public=public,
        sign=lambda message: crypto.sm2_sign(private, public, message), authority=True,
        not_before=now - datetime.timedelta(minutes=5), not_after=now + datetime.timedelta(days=MAKER_VALIDITY_DAYS))
    ca.sm2_cert_pem = sm2_certs.to_pem(der)
    ca.sm2_private_key = crypto.secret_encrypt(private, label=_maker_label(ca))
    CertificateAuthority.objects.filter(pk=ca.pk).update(sm2_cert_pem=ca.sm2_cert_pem,
                                                         sm2_private_key=ca.sm2_private_key)
    log.info("signing.sm2_maker_created", ca=ca.fingerprint)
    return ca


@transaction.atomic
def seal_sm2_issue(*, seal: Seal) -> Seal:
    """The seal holder's SM2 certificate (over the seal's existing SM2 key) and the seal's SESeal, signed by the
    seal maker. Nothing to do when the seal has them."""
    seal = Seal.objects.select_for_update(of=("self",)).select_related("ca", "unit").get(pk=seal.pk)
    if seal.sm2_cert_pem and seal.seseal_der:
        return seal
    ca = sm2_maker_ensure(ca=seal.ca)
    maker_private, maker_public = maker_keys(ca)
    maker_cert = sm2_certs.from_pem(ca.sm2_cert_pem)

    def maker_sign(message: bytes) -> bytes:
        return crypto.sm2_sign(maker_private, maker_public, message)

    not_after = min(seal.valid_until, maker_cert["tbs_certificate"]["validity"]["not_after"].native)
    holder = sm2_certs.certificate_build(
        subject=sm2_certs.name(organization=settings.SIGNING_BUREAU_NAME, unit=seal.unit.code,
                               common_name=crypto.name_fit(seal.name, 64)),
        public_key=bytes.fromhex(seal.sm2_public_key[2:]), issuer=maker_cert.subject, issuer_public=maker_public,
        sign=maker_sign, not_before=seal.valid_from, not_after=not_after, serial=int(seal.cert_serial, 16))
    seseal = gbt38540.seal_build(
        es_id=seal.serial, name=seal.name, holder_certs=[holder], maker_cert=maker_cert.dump(),
        picture_png=bytes(seal.picture_png), created=seal.created_at or seal.valid_from,
        valid_start=seal.valid_from, valid_end=not_after, sign=maker_sign)
    seal.sm2_cert_pem, seal.seseal_der = sm2_certs.to_pem(holder), seseal
    Seal.objects.filter(pk=seal.pk).update(sm2_cert_pem=seal.sm2_cert_pem, seseal_der=seseal)
    log.info("signing.seal_sm2_issued", seal=seal.serial)
    return seal


def letter_ses_signature(*, seal: Seal, letter: bytes, at: datetime.datetime) -> bytes:
    """The detached SES_Signature over the exact bytes of a sealed letter (b"" for a seal without an SESeal)."""
    if not (seal.sm2_cert_pem and seal.seseal_der):
        return b""
    private, public = keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:])
    return gbt38540.signature_build(
        seseal=bytes(seal.seseal_der), signer_cert=sm2_certs.from_pem(seal.sm2_cert_pem).dump(), document=letter,
        property_info=LETTER_PROPERTY_INFO, signed_at=at,
        sign=lambda message: crypto.sm2_sign(private, public, message), stamp=tsa.token_over)
