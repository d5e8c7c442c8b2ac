"""Input and output shapes of the signing API: what may be handed in for verification, the verdict, the trust
bundle and the exported checkpoints. No verification rule here: that is signing.selectors'."""
import json

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.fields import empty

from core.errors import ServiceError

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


VerificationResult = inline_serializer("VerificationResult", fields={
    "valid": serializers.BooleanField(),
    "reason": inline_serializer("VerificationReason", fields={
        "code": serializers.CharField(help_text="ok, or why the first failed check failed (altered, "
                                                "incremental_update, untrusted_root, certificate_revoked, ...)"),
        "detail": serializers.CharField(help_text="the same in plain words, in the request's language"),
    }),
    "checks": serializers.ListField(child=serializers.DictField()),
    "decision": serializers.DictField(allow_null=True),
    "ledger": serializers.DictField(allow_null=True),
})


class VerifyCodeIn(serializers.Serializer):
    code = serializers.CharField(max_length=64)


class _Part(serializers.Field):
    """One part as sent, untouched: an uploaded file, or (a signature and its record) JSON given inline. Which
    parts count is decided over all of them in VerifyUploadIn.validate."""

    def __init__(self, **kwargs):
        super().__init__(required=False, allow_null=True, **kwargs)

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, empty)  # a blank form field is a part too, as sent

    def to_internal_value(self, data):
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.BINARY)
class _FilePart(_Part):
    pass


@extend_schema_field(OpenApiTypes.STR)
class _TextPart(_Part):
    pass


def _file_bytes(upload: UploadedFile) -> bytes:
    if upload.size > MAX_UPLOAD_BYTES:
        raise ServiceError(_("文件过大。"), code="too_large")
    return upload.read()


def _json_part(value) -> dict:
    if value is None:
        raise ServiceError(_("请同时提供签章文件和审批记录。"), code="missing_part")
    if isinstance(value, UploadedFile):
        value = _file_bytes(value)
    try:
        return json.loads(value) if isinstance(value, (str, bytes)) else dict(value)
    except (ValueError, TypeError):
        raise ServiceError(_("签章文件或审批记录不是有效的 JSON。"), code="bad_json") from None


class VerifyUploadIn(serializers.Serializer):
    """What someone hands in to be verified, first match wins: an SES signature (`ses`) with the `document` it
    signs, an OFD letter (`ofd`), a letter PDF (`letter`), a seal-signature file (`signature`, a file or inline
    JSON) with its `record`, or a verification `code`. Validated into the one set of bytes or JSON to verify;
    the refusals keep their codes (missing_part, too_large, bad_json, nothing_to_verify)."""

    letter = _FilePart()
    signature = _FilePart()
    record = _FilePart()
    code = _TextPart()
    ses = _FilePart()
    ofd = _FilePart()
    document = _FilePart()

    def validate(self, attrs) -> dict:
        files = {name: value for name, value in attrs.items() if isinstance(value, UploadedFile)}
        if "ses" in files:  # a GB/T 38540 SES_Signature with the document it signs
            ses, document = files["ses"], files.get("document")
            if document is None or max(ses.size, document.size) > MAX_UPLOAD_BYTES:
                raise ServiceError(_("请同时上传电子签章数据（.ses）和它所签的文档（不超过 10 MB）。"),
                                   code="missing_part")
            return {"ses": ses.read(), "document": document.read()}
        if "ofd" in files:  # an OFD letter (GB/T 33190) with its GB/T 38540 signature
            return {"ofd": _file_bytes(files["ofd"])}
        if "letter" in files:
            return {"letter": _file_bytes(files["letter"])}
        if "signature" in attrs:
            return {"signature": _json_part(attrs["signature"]), "record": _json_part(attrs.get("record"))}
        if attrs.get("code"):
            code = VerifyCodeIn(data={"code": attrs["code"]})
            code.is_valid(raise_exception=True)
            return {"code": code.validated_data["code"]}
        raise ServiceError(_("请上传决定书 PDF，或签章文件和审批记录，或输入核验码。"), code="nothing_to_verify")


class _TrustText(serializers.CharField):
    """Text that is absent when the bundle has no CA at all (required=False: a missing key is skipped)."""


@extend_schema_field({"type": "string", "nullable": True})
class _TrustTextOrNull(_TrustText):
    """Absent when the bundle has no CA, null when the CA has none (allow_null would turn absent into null)."""


class RevokedSealOut(serializers.Serializer):
    seal = serializers.CharField(help_text="the seal's serial")
    unit = serializers.CharField(help_text="the unit's name")
    cert_serial = serializers.CharField()
    revoked_at = serializers.CharField(help_text="ISO 8601")


class CheckpointOut(serializers.Serializer):
    """A signed ledger checkpoint: the signed content, the CA's signature and which CA (its SHA-256)."""

    type = serializers.CharField(required=False)
    tree_size = serializers.IntegerField()
    root_hash = serializers.CharField(required=False)
    head_hash = serializers.CharField(required=False)
    signed_at = serializers.CharField(required=False)
    signature = serializers.CharField(required=False)
    ca_sha256 = serializers.CharField(required=False)
    unreadable = serializers.BooleanField(required=False, help_text="only on an exported file that is not JSON")


class TrustOut(serializers.Serializer):
    ca_certificate = serializers.CharField(allow_null=True, help_text="PEM; null while the bureau has no CA")
    ca_sha256 = _TrustText(required=False)
    sm2_root_certificate = _TrustTextOrNull(required=False, help_text="PEM of the GB/T 38540 seal maker")
    crl = serializers.CharField(allow_null=True, help_text="PEM")
    tsa_roots = _TrustText(required=False, help_text="PEM: trusted roots of time-stamping (verify_offline "
                                                     "--tsa-root)")
    revoked = RevokedSealOut(many=True)
    checkpoint = CheckpointOut(allow_null=True)


class CheckpointListOut(serializers.Serializer):
    checkpoints = CheckpointOut(many=True)
