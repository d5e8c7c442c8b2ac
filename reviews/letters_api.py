"""A case's sealed letter (PDF, OFD) and its seal signatures (SM2 file, GB/T 38540 SES), for whoever may see the
case. Thin views: reviews.selectors decides access and finds the file; these only send it."""
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews import selectors


def _attachment(case_file: selectors.CaseFile, content_type: str) -> HttpResponse:
    response = HttpResponse(case_file.content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{case_file.filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


class CaseLetterApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The sealed decision letter (PDF) of a case", operation_id="case_letter_pdf",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, case_id: int):
        return _attachment(selectors.case_letter_pdf(user=request.user, case_id=case_id), "application/pdf")


class CaseSealSignatureApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The SM2 seal-signature file and the signed record of a case",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request, case_id: int):
        return Response(selectors.case_seal_signature(user=request.user, case_id=case_id))


class CaseSesSignatureApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The detached GB/T 38540 SES_Signature over the case's letter.pdf",
                   operation_id="case_seal_signature_ses",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, case_id: int):
        return _attachment(selectors.case_ses_file(user=request.user, case_id=case_id), "application/octet-stream")


class CaseLetterOfdApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The sealed decision letter as OFD (GB/T 33190), signed per GB/T 38540",
                   operation_id="case_letter_ofd", responses={(200, "application/ofd"): OpenApiTypes.BINARY})
    def get(self, request, case_id: int):
        return _attachment(selectors.case_letter_ofd_file(user=request.user, case_id=case_id), "application/ofd")
