"""Thin DRF views: public verification and the trust bundle (a case's letter is served by reviews/letters_api.py)."""
import json

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.errors import NotFound, ServiceError
from signing import selectors

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


def _read_json_part(value) -> dict:
    if value is None:
        raise ServiceError(_("请同时提供签章文件和审批记录。"), code="missing_part")
    if hasattr(value, "read"):
        if value.size > MAX_UPLOAD_BYTES:
            raise ServiceError(_("文件过大。"), code="too_large")
        value = value.read()
    try:
        return json.loads(value) if isinstance(value, (str, bytes)) else dict(value)
    except (ValueError, TypeError):
        raise ServiceError(_("签章文件或审批记录不是有效的 JSON。"), code="bad_json") from None


class VerifyCodeIn(serializers.Serializer):
    code = serializers.CharField(max_length=64)


def _code_from(data) -> str:
    body = VerifyCodeIn(data={"code": data.get("code")})
    body.is_valid(raise_exception=True)
    return body.validated_data["code"]


class VerifyApi(APIView):
    """Anyone may verify: a letter PDF, a seal-signature file with its record, or a verification code."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "signing_verify"

    @extend_schema(
        summary="Verify a sealed decision by its verification code",
        parameters=[OpenApiParameter("code", str, required=True)], responses={200: VerificationResult},
    )
    def get(self, request):
        return Response(self._by_code(request.query_params.get("code", "")[:64]))

    @extend_schema(
        summary="Verify a letter PDF (field `letter`), or a seal-signature file (`signature`) with its `record`",
        request={"multipart/form-data": inline_serializer("VerifyUpload", fields={
            "letter": serializers.FileField(required=False),
            "signature": serializers.FileField(required=False),
            "record": serializers.FileField(required=False),
            "code": serializers.CharField(required=False),
            "ses": serializers.FileField(required=False),
            "ofd": serializers.FileField(required=False),
            "document": serializers.FileField(required=False),
        })},
        responses={200: VerificationResult},
    )
    def post(self, request):
        if "ses" in request.FILES:  # a GB/T 38540 SES_Signature with the document it signs
            from signing.ses_verify import ses_verify

            ses, document = request.FILES["ses"], request.FILES.get("document")
            if document is None or max(ses.size, document.size) > MAX_UPLOAD_BYTES:
                raise ServiceError(_("请同时上传电子签章数据（.ses）和它所签的文档（不超过 10 MB）。"),
                                   code="missing_part")
            return Response(ses_verify(ses=ses.read(), document=document.read()))
        if "ofd" in request.FILES:  # an OFD letter (GB/T 33190) with its GB/T 38540 signature
            from signing.ses_verify import ofd_verify

            if request.FILES["ofd"].size > MAX_UPLOAD_BYTES:
                raise ServiceError(_("文件过大。"), code="too_large")
            return Response(ofd_verify(package=request.FILES["ofd"].read()))
        letter = request.FILES.get("letter")
        if letter is not None:
            if letter.size > MAX_UPLOAD_BYTES:
                raise ServiceError(_("文件过大。"), code="too_large")
            return Response(selectors.letter_verify(pdf=letter.read()))
        if "signature" in request.data or "signature" in request.FILES:
            document = _read_json_part(request.FILES.get("signature") or request.data.get("signature"))
            record = _read_json_part(request.FILES.get("record") or request.data.get("record"))
            return Response(selectors.signature_file_verify(document=document, record=record))
        if request.data.get("code"):
            return Response(self._by_code(_code_from(request.data)))
        raise ServiceError(_("请上传决定书 PDF，或签章文件和审批记录，或输入核验码。"), code="nothing_to_verify")

    @staticmethod
    def _by_code(code: str) -> dict:
        result = selectors.verification_by_code(code=code)
        if result is None:
            raise NotFound(_("没有找到该核验码对应的决定书。"), code="unknown_code")
        return result


class TrustApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(summary="The bureau CA certificate, the revocation list and the latest signed ledger checkpoint",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        return Response(selectors.trust_bundle())
