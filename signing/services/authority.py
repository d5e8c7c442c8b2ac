"""The bureau's certificate authority: creating it and refreshing its revocation list."""
from django.conf import settings
from django.db import transaction

from core.logging import get_logger
from signing import crypto, sm2_services
from signing.models import CertificateAuthority, LedgerEntry, Seal
from signing.services.common import ca_private_key
from signing.services.ledger import ledger_append

log = get_logger(__name__)


@transaction.atomic
def ca_create(*, name: str | None = None, replace: bool = False) -> CertificateAuthority:
    existing = CertificateAuthority.objects.select_for_update().filter(active=True).first()
    if existing and not replace:
        return existing
    if existing:
        CertificateAuthority.objects.filter(pk=existing.pk).update(active=False)
    name = name or f"{settings.SIGNING_BUREAU_NAME}电子印章根证书"
    key, cert = crypto.ca_certificate_build(common_name=name)
    ca = CertificateAuthority.objects.create(
        name=name, cert_pem=crypto.cert_to_pem(cert), key_pem=crypto.private_key_to_encrypted_pem(key),
        fingerprint=crypto.cert_fingerprint(cert), active=True,
    )
    crl_refresh(ca=ca)
    ca = sm2_services.sm2_maker_ensure(ca=ca)
    ledger_append(kind=LedgerEntry.Kind.CA_CREATED, subject=ca.fingerprint,
                  payload={"name": name, "ca_sha256": ca.fingerprint})
    log.info("signing.ca_created", ca=ca.fingerprint)
    return ca


def crl_refresh(*, ca: CertificateAuthority) -> None:
    from cryptography.hazmat.primitives import serialization

    revoked = [(int(seal.cert_serial, 16), seal.revoked_at)
               for seal in Seal.objects.filter(ca=ca, revoked_at__isnull=False).order_by("revoked_at")]
    number = ca.crl_number + 1
    crl = crypto.crl_build(ca_key=ca_private_key(ca), ca_cert=crypto.cert_from_pem(ca.cert_pem), revoked=revoked,
                           number=number)
    CertificateAuthority.objects.filter(pk=ca.pk).update(
        crl_number=number, crl_pem=crl.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    ca.refresh_from_db(fields=["crl_number", "crl_pem"])
