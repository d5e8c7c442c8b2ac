"""Seals, keys, certificates, signatures over decisions, the ledger, sealed letters, verification."""
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class CertificateAuthority(models.Model):
    """The bureau's own root: signs seal certificates, seal records, delegations, checkpoints and the CRL."""

    name = models.CharField(_("名称"), max_length=120)
    cert_pem = models.TextField(_("CA 证书"))
    key_pem = models.TextField(_("私钥（加密 PKCS#8）"))
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    active = models.BooleanField(_("当前使用"), default=True)
    crl_number = models.PositiveIntegerField(_("CRL 序号"), default=0)
    crl_pem = models.TextField(_("证书吊销列表"), blank=True)
    # The SM2 root, which is also the seal maker (制章者) of GB/T 38540: signs seal holders' SM2 certificates and
    # every SESeal (signing/sm2_certs.py, signing/gbt38540.py).
    sm2_cert_pem = models.TextField(_("SM2 制章者证书"), blank=True)
    sm2_private_key = models.TextField(_("SM2 制章者私钥（加密）"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("根证书")
        verbose_name_plural = _("根证书")
        constraints = [models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="one_active_ca")]

    def __str__(self):
        return self.name


class KeyBackend(models.TextChoices):
    FILE = "file", _("加密文件（PKCS#8）")
    PKCS11 = "pkcs11", _("硬件密码模块（PKCS#11）")


class Seal(models.Model):
    """A unit's electronic seal: picture, X.509 certificate (PAdES), SM2 key (seal signature), keepers, validity."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("有效")
        ROTATED = "rotated", _("已更换")
        REVOKED = "revoked", _("已吊销")

    serial = models.CharField(_("印章编号"), max_length=40, unique=True)
    unit = models.ForeignKey("stations.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="seals")
    ca = models.ForeignKey(CertificateAuthority, on_delete=models.PROTECT, related_name="seals")
    name = models.CharField(_("印章名称"), max_length=120)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    picture_png = models.BinaryField(_("印模图片"))
    cert_pem = models.TextField(_("签章证书"))
    cert_serial = models.CharField(_("证书序列号"), max_length=64, unique=True)
    cert_fingerprint = models.CharField(_("证书指纹"), max_length=64, unique=True)
    key_backend = models.CharField(_("私钥存放"), max_length=8, choices=KeyBackend.choices, default=KeyBackend.FILE)
    key_pem = models.TextField(_("私钥（加密 PKCS#8）"), blank=True)
    pkcs11_token = models.CharField(_("PKCS#11 令牌"), max_length=64, blank=True)
    pkcs11_key_label = models.CharField(_("PKCS#11 密钥标签"), max_length=64, blank=True)
    sm2_public_key = models.CharField(_("SM2 公钥"), max_length=130)
    sm2_private_key = models.TextField(_("SM2 私钥（加密）"))
    record = models.JSONField(_("印章记录"))
    record_signature = models.TextField(_("根证书对印章记录的签名"))
    sm2_cert_pem = models.TextField(_("SM2 签章证书"), blank=True)
    seseal_der = models.BinaryField(_("电子印章数据（GB/T 38540 SESeal）"), blank=True, default=b"")
    valid_from = models.DateTimeField(_("生效"))
    valid_until = models.DateTimeField(_("失效"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revocation_reason = models.CharField(_("吊销原因"), max_length=200, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit", "-created_at"]
        verbose_name = _("电子印章")
        verbose_name_plural = _("电子印章")
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(status="active"), name="one_active_seal_per_unit"),
            models.CheckConstraint(condition=Q(valid_from__lt=models.F("valid_until")), name="seal_window_ordered"),
            models.CheckConstraint(condition=~Q(status="revoked") | Q(revoked_at__isnull=False),
                                   name="revoked_seal_has_time"),
            models.CheckConstraint(condition=~Q(key_backend="file") | ~Q(key_pem=""), name="file_seal_has_key"),
        ]

    def __str__(self):
        return f"{self.name} ({self.serial})"


class SealKeeper(models.Model):
    """A staff member allowed to use a seal, with the time the right started and ended (kept for verification)."""

    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="keepers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="seal_rights")
    granted_at = models.DateTimeField(_("授权时间"))
    removed_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("用印人员")
        verbose_name_plural = _("用印人员")
        constraints = [
            models.UniqueConstraint(fields=["seal", "user"], condition=Q(removed_at__isnull=True),
                                    name="one_open_keeper_right"),
        ]

    def __str__(self):
        return f"{self.user} · {self.seal.serial}"


class Delegation(models.Model):
    """The bureau delegates approval of some items to a station until a date; the record is signed by the bureau."""

    serial = models.CharField(_("授权编号"), max_length=40, unique=True)
    unit = models.ForeignKey("stations.Unit", verbose_name=_("受托单位"), on_delete=models.PROTECT,
                             related_name="delegations")
    item_codes = models.JSONField(_("授权事项"), default=list)
    valid_from = models.DateTimeField(_("生效"))
    valid_until = models.DateTimeField(_("失效"))
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    record = models.JSONField(_("授权记录"))
    signature = models.TextField(_("根证书签名"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["unit", "-valid_until"]
        verbose_name = _("审批授权")
        verbose_name_plural = _("审批授权")
        constraints = [
            models.CheckConstraint(condition=Q(valid_from__lt=models.F("valid_until")),
                                   name="delegation_window_ordered"),
        ]

    def __str__(self):
        return self.serial


class ConfirmationCode(models.Model):
    """A step-up code bound to one user, one case and one record hash; single use, short-lived, stored hashed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    case_id = models.BigIntegerField(_("案件"), db_index=True)
    record_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("用印确认码")
        verbose_name_plural = _("用印确认码")

    def __str__(self):
        return f"case {self.case_id} · user {self.user_id}"


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutable("ledger entries and checkpoints cannot be updated")

    def delete(self):
        raise LedgerImmutable("ledger entries and checkpoints cannot be deleted")


class LedgerImmutable(Exception):
    pass


class LedgerEntry(models.Model):
    """One append-only, hash-chained event: approval, rejection, seal or key event, delegation, revocation."""

    class Kind(models.TextChoices):
        CA_CREATED = "ca_created", _("创建根证书")
        SEAL_ISSUED = "seal_issued", _("签发印章")
        SEAL_ROTATED = "seal_rotated", _("更换印章")
        SEAL_REVOKED = "seal_revoked", _("吊销印章")
        KEEPER_GRANTED = "keeper_granted", _("授予用印权限")
        KEEPER_REMOVED = "keeper_removed", _("撤销用印权限")
        DELEGATION_GRANTED = "delegation_granted", _("授权")
        DELEGATION_REVOKED = "delegation_revoked", _("撤销授权")
        APPROVAL = "approval", _("准予")
        REJECTION = "rejection", _("不予")

    seq = models.PositiveBigIntegerField(unique=True)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    subject = models.CharField(max_length=64, db_index=True, help_text="record hash, seal serial, ...")
    payload = models.JSONField()
    created_at = models.CharField(max_length=40, help_text="ISO 8601 UTC, part of the hashed content")
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, unique=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["seq"]
        verbose_name = _("账本记录")
        verbose_name_plural = _("账本记录")

    def __str__(self):
        return f"#{self.seq} {self.kind}"

    def save(self, *args, **kwargs):
        if not kwargs.get("force_insert"):  # an entry is only ever inserted (the trigger refuses UPDATE too)
            raise LedgerImmutable("ledger entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("ledger entries cannot be deleted")

    def hashed_content(self) -> dict:
        return {"seq": self.seq, "kind": self.kind, "subject": self.subject, "payload": self.payload,
                "created_at": self.created_at, "prev_hash": self.prev_hash}


class Checkpoint(models.Model):
    """A signed Merkle root (RFC 6962) over the first `tree_size` ledger entries. Insert-only like the ledger (ORM
    guards here; a trigger on PostgreSQL, migration 0004); a copy lives outside the database (checkpoint_store)."""

    tree_size = models.PositiveBigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)
    head_hash = models.CharField(max_length=64)
    signed_at = models.CharField(max_length=40)
    signature = models.TextField()
    ca = models.ForeignKey(CertificateAuthority, on_delete=models.PROTECT, related_name="+")

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["-tree_size"]
        verbose_name = _("账本检查点")
        verbose_name_plural = _("账本检查点")

    def __str__(self):
        return f"checkpoint {self.tree_size}"

    def save(self, *args, **kwargs):
        if not kwargs.get("force_insert"):  # a checkpoint is only ever inserted (the trigger refuses UPDATE too)
            raise LedgerImmutable("ledger checkpoints cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutable("ledger checkpoints cannot be deleted")

    def signed_content(self) -> dict:
        return {"type": "ledger-checkpoint", "tree_size": self.tree_size, "root_hash": self.root_hash,
                "head_hash": self.head_hash, "signed_at": self.signed_at}


class SealedDecision(models.Model):
    """A sealed decision: the record, its SM2 seal signature and the PAdES-signed letter."""

    case_id = models.BigIntegerField(_("案件"), unique=True)
    decision = models.CharField(_("决定"), max_length=16)
    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="decisions")
    delegation = models.ForeignKey(Delegation, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sealed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    record = models.JSONField(_("审批记录"))
    record_hash = models.CharField(max_length=64, unique=True)
    sm2_signature = models.TextField(_("SM2 签章（base64 DER）"))
    ses_signature = models.BinaryField(_("电子签章数据（GB/T 38540，决定书 PDF）"), blank=True, default=b"")
    letter_ofd = models.BinaryField(_("决定书 OFD"), blank=True, default=b"")
    letter_ofd_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    letter_pdf = models.BinaryField(_("决定书 PDF"))
    letter_sha256 = models.CharField(max_length=64, unique=True)
    verification_code = models.CharField(_("核验码"), max_length=20, unique=True)
    ledger_entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="+")
    sealed_at = models.DateTimeField(_("用印时间"))

    class Meta:
        ordering = ["-sealed_at"]
        verbose_name = _("已签章决定")
        verbose_name_plural = _("已签章决定")

    def __str__(self):
        return f"case {self.case_id} · {self.verification_code}"


class TimestampAuthority(models.Model):
    """The project's own RFC 3161 time-stamping authority (signing/tsa.py): a P-256 key and a certificate the bureau's
    CA issues with the critical extendedKeyUsage timeStamping. Used when no external TSA is configured
    (SIGNING_TSA_URL); its tokens carry the time verifiers judge revocation by."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.PROTECT, related_name="timestamp_authorities")
    cert_pem = models.TextField(_("时间戳服务证书"))
    key_pem = models.TextField(_("私钥（加密 PKCS#8）"))
    fingerprint = models.CharField(_("SHA-256 指纹"), max_length=64, unique=True)
    active = models.BooleanField(_("当前使用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("时间戳服务")
        verbose_name_plural = _("时间戳服务")
        constraints = [models.UniqueConstraint(fields=["active"], condition=Q(active=True), name="one_active_tsa")]

    def __str__(self):
        return self.fingerprint[:16]
