"""Thin DRF views: the sealed letter of a case, public verification, the trust bundle."""
import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from config.errors import NotFound, ServiceError
from signing import selectors

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _case_visible(*, user, case_id: int) -> bool:
    """Permission comes from reviews (who may see a case); without that hook, nobody gets a letter."""
    try:
        from reviews.selectors import case_get_for_user
    except ImportError:
        return False
    try:
        return case_get_for_user(user=user, case_id=case_id) is not None
    except Exception as exc:  # noqa: BLE001 - NotFound / Http404 / PermissionDenied from the hook all mean "no"
        if isinstance(exc, (ServiceError, LookupError)) or exc.__class__.__name__ in (
                "Http404", "DoesNotExist", "PermissionDenied", "NotFound", "Forbidden"):
            return False
        raise


def _sealed_for(request, case_id: int):
    if not _case_visible(user=request.user, case_id=case_id):
        raise NotFound(_("找不到该案件。"))
    sealed = selectors.sealed_decision_for_case(case_id=case_id)
    if sealed is None:
        raise NotFound(_("该案件还没有加盖电子印章的决定书。"), code="no_letter")
    return sealed


class CaseLetterApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The sealed decision letter (PDF) of a case", operation_id="case_letter_pdf",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, case_id: int):
        sealed = _sealed_for(request, case_id)
        response = HttpResponse(selectors.letter_bytes(sealed=sealed), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="decision-{case_id}-{sealed.verification_code}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class CaseSealSignatureApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The SM2 seal-signature file and the signed record of a case",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request, case_id: int):
        sealed = _sealed_for(request, case_id)
        document = json.loads(selectors.seal_signature_file(sealed=sealed) or b"{}")
        return Response({"seal_signature": document, "record": sealed.record})


VerificationResult = inline_serializer("VerificationResult", fields={
    "valid": serializers.BooleanField(),
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
        return Response(self._by_code(request.query_params.get("code", "")))

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
            return Response(self._by_code(request.data["code"]))
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
