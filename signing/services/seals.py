"""Seals and their keepers: issue, rotate, revoke; grant and remove the right to seal."""
import datetime
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import Conflict, NotFound, ServiceError
from core.logging import get_logger
from signing import crypto, keys, sm2_services
from signing.models import LedgerEntry, Seal, SealKeeper
from signing.picture import seal_picture_png
from signing.services.authority import crl_refresh
from signing.services.common import _iso, ca_active, ca_private_key
from signing.services.ledger import ledger_append

log = get_logger(__name__)


def _seal_serial(unit) -> str:
    return f"{unit.code}-{timezone.now():%Y%m%d}-{secrets.token_hex(3).upper()}"


def _seal_record(*, serial, unit, name, cert, sm2_public: bytes, picture: bytes, valid_from, valid_until, ca) -> dict:
    return {
        "type": "seal-record",
        "version": 1,
        "serial": serial,
        "name": name,
        "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind},
        "certificate": {"serial": format(cert.serial_number, "x"), "sha256": crypto.cert_fingerprint(cert)},
        "sm2": {"public_key": "04" + sm2_public.hex(), "signer_id": crypto.SM2_DEFAULT_ID.decode(),
                "algorithm": crypto.SM2_ALGORITHM},
        "picture_sha256": crypto.sha256_hex(picture),
        "valid_from": _iso(valid_from),
        "valid_until": _iso(valid_until),
        "issuer": {"name": ca.name, "ca_sha256": ca.fingerprint},
    }


@transaction.atomic
def seal_issue(*, unit, key_backend: str = "file", pkcs11_token: str = "", valid_from=None, valid_until=None,
               keepers=None, replacing: Seal | None = None) -> Seal:
    """Issue a seal for a unit: picture, P-256 certificate from the bureau CA, SM2 key, bureau-signed record."""
    ca = ca_active()
    if Seal.objects.filter(unit=unit, status=Seal.Status.ACTIVE).exclude(pk=getattr(replacing, "pk", None)).exists():
        raise Conflict(_("该单位已有有效印章；如需更换请使用印章更换。"), code="seal_exists")
    now = timezone.now()
    valid_from = valid_from or now - datetime.timedelta(minutes=1)
    valid_until = valid_until or now + datetime.timedelta(days=settings.SIGNING_SEAL_VALIDITY_DAYS)
    serial = _seal_serial(unit)
    name = f"{unit.name}电子印章"
    if key_backend == "pkcs11":
        if not pkcs11_token:
            raise ServiceError(_("使用硬件密码模块时必须指定令牌。"), code="pkcs11_token_required")
        public_key = keys.pkcs11_keypair_generate(token_label=pkcs11_token, key_label=serial)
        key_pem = ""
    elif key_backend == "file":
        from cryptography.hazmat.primitives.asymmetric import ec

        private_key = ec.generate_private_key(ec.SECP256R1())
        public_key = private_key.public_key()
        key_pem = crypto.private_key_to_encrypted_pem(private_key)
    else:
        raise ServiceError(_("未知的私钥存放方式。"), code="bad_key_backend")
    ca_cert = crypto.cert_from_pem(ca.cert_pem)
    cert = crypto.seal_certificate_build(
        ca_key=ca_private_key(ca), ca_cert=ca_cert, public_key=public_key, common_name=name[:64],
        unit_code=unit.code, not_before=valid_from, not_after=min(valid_until, ca_cert.not_valid_after_utc),
    )
    sm2_public, sm2_private = crypto.sm2_keypair()
    picture = seal_picture_png(name=unit.name)
    record = _seal_record(serial=serial, unit=unit, name=name, cert=cert, sm2_public=sm2_public, picture=picture,
                          valid_from=valid_from, valid_until=valid_until, ca=ca)
    seal = Seal.objects.create(
        serial=serial, unit=unit, ca=ca, name=name, status=Seal.Status.ACTIVE, picture_png=picture,
        cert_pem=crypto.cert_to_pem(cert), cert_serial=format(cert.serial_number, "x"),
        cert_fingerprint=crypto.cert_fingerprint(cert), key_backend=key_backend, key_pem=key_pem,
        pkcs11_token=pkcs11_token if key_backend == "pkcs11" else "",
        pkcs11_key_label=serial if key_backend == "pkcs11" else "",
        sm2_public_key="04" + sm2_public.hex(),
        sm2_private_key=crypto.secret_encrypt(sm2_private, label=f"sm2:{serial}"),
        record=record, record_signature=crypto.bureau_sign(ca_private_key(ca), record),
        valid_from=valid_from, valid_until=valid_until,
    )
    seal = sm2_services.seal_sm2_issue(seal=seal)
    ledger_append(kind=LedgerEntry.Kind.SEAL_ISSUED, subject=serial,
                  payload={"seal_record_sha256": crypto.record_hash(record), "unit": unit.code,
                           "cert_sha256": seal.cert_fingerprint, "key_backend": key_backend,
                           "replaces": replacing.serial if replacing else None})
    for user in keepers or []:
        seal_keeper_grant(seal=seal, user=user)
    log.info("signing.seal_issued", seal=serial, unit=unit.code, backend=key_backend)
    return seal


def unit_seal_keepers(unit):
    from accounts.models import User

    return User.objects.filter(memberships__unit=unit, memberships__is_seal_keeper=True, is_active=True).distinct()


@transaction.atomic
def seal_rotate(*, unit, key_backend: str | None = None, pkcs11_token: str | None = None) -> Seal:
    """New keys and certificate; the old seal stays valid for what it sealed before, but cannot seal any more."""
    old = Seal.objects.select_for_update().filter(unit=unit, status=Seal.Status.ACTIVE).first()
    if old is None:
        raise NotFound(_("该单位没有有效印章可更换。"), code="no_seal")
    Seal.objects.filter(pk=old.pk).update(status=Seal.Status.ROTATED)
    keepers = [k.user for k in old.keepers.filter(removed_at__isnull=True).select_related("user")]
    new = seal_issue(unit=unit, key_backend=key_backend or old.key_backend,
                     pkcs11_token=pkcs11_token if pkcs11_token is not None else old.pkcs11_token,
                     keepers=keepers, replacing=old)
    Seal.objects.filter(pk=old.pk).update(replaced_by=new)
    SealKeeper.objects.filter(seal=old, removed_at__isnull=True).update(removed_at=timezone.now())
    ledger_append(kind=LedgerEntry.Kind.SEAL_ROTATED, subject=old.serial,
                  payload={"old": old.serial, "new": new.serial, "unit": unit.code})
    return new


@transaction.atomic
def seal_revoke(*, seal: Seal, reason: str, at: datetime.datetime | None = None) -> Seal:
    seal = Seal.objects.select_for_update().get(pk=seal.pk)
    if seal.revoked_at:
        raise Conflict(_("该印章已吊销。"), code="seal_already_revoked")
    seal.revoked_at = at or timezone.now()
    seal.revocation_reason = reason[:200]
    seal.status = Seal.Status.REVOKED
    seal.save(update_fields=["revoked_at", "revocation_reason", "status"])
    crl_refresh(ca=seal.ca)
    ledger_append(kind=LedgerEntry.Kind.SEAL_REVOKED, subject=seal.serial,
                  payload={"serial": seal.serial, "cert_serial": seal.cert_serial, "revoked_at": _iso(seal.revoked_at),
                           "reason": seal.revocation_reason})
    log.info("signing.seal_revoked", seal=seal.serial)
    return seal


@transaction.atomic
def seal_keeper_grant(*, seal: Seal, user) -> SealKeeper:
    keeper = SealKeeper.objects.filter(seal=seal, user=user, removed_at__isnull=True).first()
    if keeper:
        return keeper
    keeper = SealKeeper.objects.create(seal=seal, user=user, granted_at=timezone.now())
    ledger_append(kind=LedgerEntry.Kind.KEEPER_GRANTED, subject=seal.serial,
                  payload={"seal": seal.serial, "user_id": user.pk})
    return keeper


@transaction.atomic
def seal_keeper_remove(*, seal: Seal, user) -> None:
    if SealKeeper.objects.filter(seal=seal, user=user, removed_at__isnull=True).update(removed_at=timezone.now()):
        ledger_append(kind=LedgerEntry.Kind.KEEPER_REMOVED, subject=seal.serial,
                      payload={"seal": seal.serial, "user_id": user.pk})
