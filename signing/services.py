"""Writes of the signing module: CA, seals and keys, delegations, step-up codes, sealing decisions, the ledger."""
import base64
import datetime
import secrets

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import attempts
from accounts.validators import mask_id_number
from core.errors import Conflict, Forbidden, NotFound, ServiceError
from core.logging import get_logger
from signing import checkpoint_store, crypto, keys, ofd_letter, sm2_services
from signing.models import (
    CertificateAuthority,
    Checkpoint,
    ConfirmationCode,
    Delegation,
    LedgerEntry,
    Seal,
    SealedDecision,
    SealKeeper,
)
from signing.picture import seal_picture_png
from signing.selectors import delegation_problem, seal_for_sealing

log = get_logger(__name__)

RECORD_TYPE = "medical-insurance-decision"
SEAL_SIGNATURE_FORMAT = "vc-seal-signature"
LEDGER_LOCK_KEY = 0x5E41_1ED6  # pg_advisory_xact_lock key serialising ledger appends
DECISIONS = ("approve", "reject")


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def mask_name(name: str) -> str:
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# --- CA ------------------------------------------------------------------------------------
def ca_active() -> CertificateAuthority:
    ca = CertificateAuthority.objects.filter(active=True).first()
    if ca is None:
        raise ServiceError(_("尚未创建电子印章根证书，请先运行 manage.py signing_ca_create。"), code="no_ca")
    return ca


def ca_private_key(ca: CertificateAuthority):
    return crypto.private_key_from_encrypted_pem(ca.key_pem)


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


# --- Ledger --------------------------------------------------------------------------------
def ledger_append(*, kind: str, subject: str, payload: dict) -> LedgerEntry:
    """Append one hash-chained entry. Appends are serialised (advisory lock on PostgreSQL, IMMEDIATE on SQLite).
    Inside a caller's transaction no savepoint: a failed append fails that transaction."""
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_KEY])
        # Plain SQL: the ORM query for these two columns cost more client time than its round trip.
        cursor.execute(f"SELECT seq, entry_hash FROM {LedgerEntry._meta.db_table} ORDER BY seq DESC LIMIT 1")
        last_seq, last_hash = cursor.fetchone() or (0, "0" * 64)
        entry = LedgerEntry(seq=last_seq + 1, kind=kind, subject=subject, payload=payload,
                            created_at=_iso(timezone.now()), prev_hash=last_hash)
        entry.entry_hash = crypto.sha256_hex(crypto.canonical(entry.hashed_content()))
        entry.save(force_insert=True)
        return entry


def checkpoint_create() -> Checkpoint | None:
    """Sign the Merkle root over every entry so far (nothing new when no entry was added since the last), then
    write it outside the database once stored. Beat and the command call it outside any transaction; an exported
    checkpoint missing from the database then means a deleted row, not a rolled-back one."""
    checkpoint = _checkpoint_sign()
    if checkpoint is not None:
        document = checkpoint_store.checkpoint_document(checkpoint, checkpoint.ca.fingerprint)
        checkpoint_store.checkpoint_export(document=document)
    return checkpoint


@transaction.atomic
def _checkpoint_sign() -> Checkpoint | None:
    ca = ca_active()
    hashes = list(LedgerEntry.objects.order_by("seq").values_list("entry_hash", flat=True))
    if not hashes:
        return None
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if latest and latest.tree_size == len(hashes):
        return latest
    root = crypto.merkle_root([crypto.merkle_leaf(h) for h in hashes]).hex()
    checkpoint = Checkpoint(tree_size=len(hashes), root_hash=root, head_hash=hashes[-1],
                            signed_at=_iso(timezone.now()), ca=ca)
    checkpoint.signature = crypto.bureau_sign(ca_private_key(ca), checkpoint.signed_content())
    checkpoint.save(force_insert=True)
    return checkpoint


# --- Seals ---------------------------------------------------------------------------------
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


# --- Delegations ---------------------------------------------------------------------------
@transaction.atomic
def delegation_grant(*, unit, item_codes: list[str], valid_until: datetime.datetime,
                     valid_from: datetime.datetime | None = None) -> Delegation:
    ca = ca_active()
    valid_from = valid_from or timezone.now() - datetime.timedelta(minutes=1)
    serial = f"DEL-{unit.code}-{timezone.now():%Y%m%d}-{secrets.token_hex(3).upper()}"
    record = {
        "type": "delegation",
        "version": 1,
        "serial": serial,
        "granted_by": settings.SIGNING_BUREAU_NAME,
        "unit": {"code": unit.code, "name": unit.name},
        "items": sorted(set(item_codes)),
        "valid_from": _iso(valid_from),
        "valid_until": _iso(valid_until),
        "ca_sha256": ca.fingerprint,
    }
    delegation = Delegation.objects.create(
        serial=serial, unit=unit, item_codes=record["items"], valid_from=valid_from, valid_until=valid_until,
        record=record, signature=crypto.bureau_sign(ca_private_key(ca), record),
    )
    ledger_append(kind=LedgerEntry.Kind.DELEGATION_GRANTED, subject=serial,
                  payload={"delegation_sha256": crypto.record_hash(record), "unit": unit.code})
    return delegation


@transaction.atomic
def delegation_revoke(*, delegation: Delegation) -> None:
    if Delegation.objects.filter(pk=delegation.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
        ledger_append(kind=LedgerEntry.Kind.DELEGATION_REVOKED, subject=delegation.serial,
                      payload={"serial": delegation.serial})


def delegation_for(*, unit, item_code: str, at: datetime.datetime | None = None) -> Delegation | None:
    at = at or timezone.now()
    for delegation in Delegation.objects.filter(unit=unit, revoked_at__isnull=True, valid_from__lte=at,
                                                valid_until__gt=at).order_by("-valid_until"):
        if item_code in delegation.item_codes:
            return delegation
    return None


# --- The approval record -------------------------------------------------------------------
def approval_record_build(*, case_id: int, item_code: str, item_name: str, decision: str, reason: str, reviewer,
                          unit, delegation: Delegation | None = None, materials: list[dict],
                          resident_id_number: str, resident_name: str,
                          decided_at: datetime.datetime) -> dict:
    """The canonical content that is sealed. The resident appears only as a keyed hash and masked forms."""
    if decision not in DECISIONS:
        raise ServiceError(_("决定只能是准予或不予。"), code="bad_decision")
    if delegation is None and unit.kind == "township_station":
        delegation = delegation_for(unit=unit, item_code=item_code)
    return {
        "type": RECORD_TYPE,
        "version": 1,
        "case_id": int(case_id),
        "item": {"code": item_code, "name": item_name},
        "decision": decision,
        "reason": reason or "",
        "reviewer": {"id": reviewer.pk, "name": reviewer.real_name or reviewer.username},
        "unit": {"code": unit.code, "name": unit.name, "kind": unit.kind},
        "delegation": ({"serial": delegation.serial, "granted_by": delegation.record["granted_by"],
                        "record_sha256": crypto.record_hash(delegation.record)} if delegation else None),
        "materials": [{"name": str(m["name"]), "sha256": str(m["sha256"]).lower()} for m in materials],
        "resident": {"id_hmac": crypto.id_number_hmac(resident_id_number),
                     "id_masked": mask_id_number(resident_id_number.strip().upper()),
                     "name_masked": mask_name(resident_name)},
        "decided_at": timezone.localtime(decided_at).isoformat(timespec="seconds"),
    }


def _record_check(record: dict) -> None:
    required = {"type", "case_id", "item", "decision", "unit", "resident", "decided_at", "materials", "reviewer"}
    if not isinstance(record, dict) or record.get("type") != RECORD_TYPE or not required <= record.keys():
        raise ServiceError(_("审批记录格式不正确。"), code="bad_record")
    if record["decision"] not in DECISIONS:
        raise ServiceError(_("决定只能是准予或不予。"), code="bad_decision")
    resident = record["resident"]
    if set(resident) != {"id_hmac", "id_masked", "name_masked"} or "*" not in resident["id_masked"]:
        raise ServiceError(_("审批记录中不得出现完整身份证号。"), code="bad_record")


def confirmation_summary(record: dict) -> list[tuple[str, str]]:
    """Exactly what will be sealed, as label/value lines for the confirmation screen."""
    return [
        (_("案件编号"), str(record["case_id"])),
        (_("办理事项"), f"{record['item']['name']}（{record['item']['code']}）"),
        (_("决定"), _("准予办理") if record["decision"] == "approve" else _("不予办理")),
        (_("理由"), record.get("reason") or "—"),
        (_("申请人"), f"{record['resident']['name_masked']} {record['resident']['id_masked']}"),
        (_("审批单位"), record["unit"]["name"]),
        (_("授权依据"), record["delegation"]["serial"] if record.get("delegation") else "—"),
        (_("材料数"), str(len(record["materials"]))),
        (_("记录摘要"), crypto.record_hash(record)),
    ]


# --- Step-up confirmation ------------------------------------------------------------------
@transaction.atomic
def confirmation_issue(*, user, case_id: int, record: dict) -> str:
    """A 6-digit code bound to this user, case and record hash; single use; sent by SMS when the staff has a phone."""
    _record_check(record)
    if int(record["case_id"]) != int(case_id):
        raise ServiceError(_("审批记录与案件不符。"), code="record_case_mismatch")
    digest = crypto.record_hash(record)
    now = timezone.now()
    # A fresh code replaces any earlier one for the same case.
    ConfirmationCode.objects.filter(user=user, case_id=case_id, used_at__isnull=True).update(used_at=now)
    code = f"{secrets.randbelow(10**6):06d}"
    ConfirmationCode.objects.create(
        user=user, case_id=case_id, record_hash=digest, code_hash=crypto.code_hmac(user.pk, case_id, digest, code),
        expires_at=now + datetime.timedelta(minutes=settings.SIGNING_CONFIRMATION_MINUTES),
    )
    if getattr(user, "phone", None):
        from accounts.sms import send_sms

        message = _("【医保视频办】您正在为案件%(case)s加盖电子印章（%(item)s，%(decision)s），确认码%(code)s，"
                    "%(minutes)d分钟内有效。如非本人操作请勿提供。") % {
            "case": case_id, "item": record["item"]["name"],
            "decision": _("准予") if record["decision"] == "approve" else _("不予"), "code": code,
            "minutes": settings.SIGNING_CONFIRMATION_MINUTES}
        transaction.on_commit(lambda: send_sms(phone=user.phone, message=message))
    return code


MAX_CODE_ATTEMPTS = 5


def _live_codes(*, user, case_id: int, now):
    return ConfirmationCode.objects.filter(user=user, case_id=case_id, used_at__isnull=True, expires_at__gt=now)


def _confirmation_claim(*, user, record: dict) -> bool:
    """Claim one try on this user's live code for the case, in its own statement before the sealing
    transaction: the try stays counted when the code turns out wrong and the sealing rolls back."""
    try:
        case_id = int(record.get("case_id"))
    except (TypeError, ValueError):
        return False  # the record check refuses it
    return attempts.claim_try(_live_codes(user=user, case_id=case_id, now=timezone.now()), limit=MAX_CODE_ATTEMPTS)


def _confirmation_consume(*, user, case_id: int, digest: str, code: str, claimed: bool) -> None:
    code = (code or "").strip()
    now = timezone.now()
    expected = crypto.code_hmac(user.pk, case_id, digest, code)
    # The usual case in one statement: the claimed live code for this case and record, used up now. The UPDATE
    # locks and re-checks the row, so of two concurrent uses only one finds it unused.
    live = _live_codes(user=user, case_id=case_id, now=now)
    if not claimed:
        # No try was claimed: say why without comparing this guess with the code it could have been.
        if live.exists():
            raise ServiceError(_("确认码错误次数过多，请重新获取。"), code="confirmation_locked")
        latest = ConfirmationCode.objects.filter(user=user, case_id=case_id).order_by("-created_at").first()
        if latest is not None and latest.used_at is not None:
            raise ServiceError(_("确认码已使用或已失效，请重新获取。"), code="confirmation_used")
    if claimed and attempts.use_up(live.filter(code_hash=expected), now=now):
        return
    _confirmation_refuse(user=user, case_id=case_id, expected=expected, code=code, now=now)


def _confirmation_refuse(*, user, case_id: int, expected: str, code: str, now) -> None:
    """Say why a code was not accepted (always raises)."""
    mine = ConfirmationCode.objects.select_for_update().filter(user=user, case_id=case_id).order_by("-created_at")
    match = next((row for row in mine if row.code_hash == expected), None)
    if match is None:
        # Tell a foreign code apart from a wrong one, without revealing anything about other people's codes.
        for row in ConfirmationCode.objects.filter(case_id=case_id).exclude(user=user):
            if row.code_hash == crypto.code_hmac(row.user_id, case_id, row.record_hash, code):
                raise Forbidden(_("该确认码不是发给您的，请使用发送给您本人的确认码。"), code="confirmation_foreign")
        for row in mine:
            if row.code_hash == crypto.code_hmac(user.pk, case_id, row.record_hash, code):
                raise ServiceError(_("审批内容在获取确认码后已改变，请重新获取确认码。"), code="confirmation_stale")
        raise ServiceError(_("确认码不正确。"), code="confirmation_invalid")
    if match.used_at is not None:
        raise ServiceError(_("确认码已使用或已失效，请重新获取。"), code="confirmation_used")
    if match.expires_at <= now:
        raise ServiceError(_("确认码已过期，请重新获取。"), code="confirmation_expired")
    if match.failed_attempts >= MAX_CODE_ATTEMPTS:
        raise ServiceError(_("确认码错误次数过多，请重新获取。"), code="confirmation_locked")
    raise ServiceError(_("确认码已使用或已失效，请重新获取。"), code="confirmation_used")  # used meanwhile


# --- Sealing -------------------------------------------------------------------------------
def seal_usable(*, unit, at: datetime.datetime | None = None, seal: Seal | None = None) -> Seal:
    """The unit's active seal if it may seal at `at`. `seal`: the active seal when the caller has read it."""
    at = at or timezone.now()
    seal = seal or Seal.objects.select_related("ca", "unit").filter(unit=unit, status=Seal.Status.ACTIVE).first()
    if seal is None:
        latest = Seal.objects.filter(unit=unit).order_by("-created_at").first()
        if latest is not None and latest.status == Seal.Status.REVOKED:
            raise Forbidden(_("本单位的电子印章已吊销，不能用印。"), code="seal_revoked")
        raise Forbidden(_("本单位没有可用的电子印章。"), code="no_seal")
    if seal.revoked_at is not None:
        raise Forbidden(_("本单位的电子印章已吊销，不能用印。"), code="seal_revoked")
    cert = crypto.cert_from_pem(seal.cert_pem)
    if not (seal.valid_from <= at < seal.valid_until) or not (
            cert.not_valid_before_utc <= at < cert.not_valid_after_utc):
        raise Forbidden(_("本单位的电子印章证书不在有效期内。"), code="seal_expired")
    return seal


def verification_url(code: str) -> str:
    return f"{settings.PUBLIC_BASE_URL}/verify/?code={code}"


def seal_signature_document(*, seal: Seal, record: dict, signature: bytes, signed_at: str, code: str,
                            canonical_record: bytes | None = None) -> dict:
    """The exportable seal signature (GB/T 38540 in spirit): who sealed, with which certified SM2 key, over what.
    `canonical_record`: the record's RFC 8785 bytes when the caller has them."""
    canonical_record = canonical_record or crypto.canonical(record)
    return {
        "format": SEAL_SIGNATURE_FORMAT,
        "version": 1,
        "algorithm": crypto.SM2_ALGORITHM,
        "signer_id": crypto.SM2_DEFAULT_ID.decode(),
        "record_sha256": crypto.sha256_hex(canonical_record),
        "record_sm3": crypto.sm3_hex(canonical_record),
        "signed_at": signed_at,
        "verification_code": code,
        "seal": {"record": seal.record, "bureau_signature": seal.record_signature},
        "certificate_pem": seal.cert_pem,
        "signature": crypto.b64(signature),
    }


def decision_seal(*, record: dict, unit, user, confirmation_code: str,
                  resident_name: str | None = None) -> SealedDecision:
    """Check the step-up code, the seal, the keeper and the delegation; sign SM2 + PAdES; append to the ledger."""
    claimed = _confirmation_claim(user=user, record=record)
    return _decision_seal(record=record, unit=unit, user=user, confirmation_code=confirmation_code,
                          resident_name=resident_name, claimed=claimed)


@transaction.atomic
def _decision_seal(*, record, unit, user, confirmation_code, resident_name, claimed) -> SealedDecision:
    _record_check(record)
    if record["unit"]["code"] != unit.code:
        raise ServiceError(_("审批记录中的单位与用印单位不符。"), code="record_unit_mismatch")
    case_id = int(record["case_id"])
    canonical = crypto.canonical(record)
    digest = crypto.sha256_hex(canonical)
    # The step-up code is checked first: a reused code is reported as reused, whatever else is wrong.
    _confirmation_consume(user=user, case_id=case_id, digest=digest, code=confirmation_code, claimed=claimed)
    now = timezone.now()
    active = seal_for_sealing(unit=unit, user=user, case_id=case_id, at=now)
    if (active.case_sealed if active is not None else SealedDecision.objects.filter(case_id=case_id).exists()):
        raise Conflict(_("该案件的决定已经加盖电子印章。"), code="already_sealed")
    seal = seal_usable(unit=unit, at=now, seal=active)
    if not (seal.keeper_right and seal.unit_seal_keeper):
        raise Forbidden(_("您不在本单位电子印章的授权用印人员名单中。"), code="not_seal_keeper")
    delegation = None
    if unit.kind == "township_station":
        problem = delegation_problem(record=record, unit=unit, at=now)
        if problem:
            raise Forbidden(problem, code="delegation_invalid")
        delegation = Delegation.objects.get(serial=record["delegation"]["serial"])

    sm2_signature = crypto.sm2_sign(keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:]), canonical)
    code = base64.b32encode(secrets.token_bytes(10)).decode("ascii")
    signed_at = _iso(now)
    signature_doc = seal_signature_document(seal=seal, record=record, signature=sm2_signature, signed_at=signed_at,
                                            code=code, canonical_record=canonical)
    from signing.letter import PKCS11_BYTES_RESERVED, SIGNATURE_BYTES_RESERVED, letter_render, letter_sign

    ca = seal.ca
    rendered = letter_render(record=record, resident_name=resident_name or record["resident"]["name_masked"],
                             verification_code=code, verification_url=verification_url(code),
                             bureau_name=settings.SIGNING_BUREAU_NAME, seal_serial=seal.serial, record_sha256=digest)
    letter = letter_sign(
        letter=rendered, signer=keys.seal_pdf_signer(seal), seal_png=bytes(seal.picture_png),
        attachments={"record.json": canonical, "seal-signature.json": crypto.canonical(signature_doc)},
        reason=f"{'准予' if record['decision'] == 'approve' else '不予'}：{record['item']['name']}",
        location=unit.name, signer_name=seal.name,
        bytes_reserved=PKCS11_BYTES_RESERVED if seal.key_backend == "pkcs11" else SIGNATURE_BYTES_RESERVED,
    )
    letter_sha = crypto.sha256_hex(letter)
    ses_signature = sm2_services.letter_ses_signature(seal=seal, letter=letter, at=now)
    letter_ofd = ofd_letter.letter_ofd(seal=seal, record=record, at=now, verification_code=code,
                                       resident_name=resident_name or record["resident"]["name_masked"],
                                       verification_url=verification_url(code))
    letter_ofd_sha = crypto.sha256_hex(letter_ofd) if letter_ofd else ""
    entry = ledger_append(
        kind=LedgerEntry.Kind.APPROVAL if record["decision"] == "approve" else LedgerEntry.Kind.REJECTION,
        subject=digest,
        payload={"case_id": case_id, "decision": record["decision"], "record_sha256": digest,
                 "seal": seal.serial, "cert_sha256": seal.cert_fingerprint, "ca_sha256": ca.fingerprint,
                 "sealed_by": user.pk, "delegation": delegation.serial if delegation else None,
                 "verification_code": code, "letter_sha256": letter_sha,
                 "sm2_signature_sha256": crypto.sha256_hex(sm2_signature),
                 "ses_signature_sha256": crypto.sha256_hex(ses_signature) if ses_signature else None,
                 "letter_ofd_sha256": letter_ofd_sha or None},
    )
    try:
        # No savepoint: a duplicate fails the whole sealing anyway. Server-side binding (config/settings.py) sends
        # the letter as binary.
        with transaction.atomic(savepoint=False):
            sealed = SealedDecision.objects.create(
                case_id=case_id, decision=record["decision"], seal=seal, delegation=delegation, sealed_by=user,
                record=record, record_hash=digest, sm2_signature=crypto.b64(sm2_signature), letter_pdf=letter,
                letter_sha256=letter_sha, verification_code=code, ledger_entry=entry, sealed_at=now,
                ses_signature=ses_signature, letter_ofd=letter_ofd, letter_ofd_sha256=letter_ofd_sha,
            )
    except IntegrityError:
        raise Conflict(_("该案件的决定已经加盖电子印章。"), code="already_sealed") from None
    log.info("signing.decision_sealed", case_id=case_id, seal=seal.serial, ledger_seq=entry.seq)
    return sealed


@transaction.atomic
def decision_record_ledger(*, record: dict, unit, user) -> LedgerEntry:
    """Record a decision without a seal (a rejection or a request for more) in the ledger."""
    _record_check(record)
    digest = crypto.record_hash(record)
    kind = LedgerEntry.Kind.APPROVAL if record["decision"] == "approve" else LedgerEntry.Kind.REJECTION
    return ledger_append(kind=kind, subject=digest,
                         payload={"case_id": int(record["case_id"]), "decision": record["decision"],
                                  "record_sha256": digest, "unit": unit.code, "recorded_by": user.pk, "seal": None})
