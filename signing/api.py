"""Thin DRF views: public verification and the trust bundle (a case's letter is served by reviews/letters_api.py)."""
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from signing import selectors
from signing.serializers import TrustOut, VerificationResult, VerifyUploadIn
from signing.verify_upload import upload_verify


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
        return Response(selectors.verification_for_code(code=request.query_params.get("code", "")[:64]))

    @extend_schema(
        summary="Verify a letter PDF (field `letter`), or a seal-signature file (`signature`) with its `record`",
        request={"multipart/form-data": VerifyUploadIn}, responses={200: VerificationResult},
    )
    def post(self, request):
        upload = VerifyUploadIn(data=request.data)
        upload.is_valid(raise_exception=True)
        return Response(upload_verify(**upload.validated_data))


class TrustApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(summary="The bureau CA certificate, the revocation list and the latest signed ledger checkpoint",
                   responses={200: TrustOut})
    def get(self, request):
        return Response(TrustOut(selectors.trust_bundle()).data)
