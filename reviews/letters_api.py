"""The sealed letter of a case and its seal signature (thin DRF views): who may see a case is reviews' rule, the
letter itself is signing's; signing imports no reviews code."""
import json

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import NotFound
from reviews.selectors import case_row_for_user
from signing import selectors as signing_selectors


def _sealed_for(request, case_id: int):
    case_row_for_user(user=request.user, case_id=case_id)  # NotFound for a case the person may not see
    sealed = signing_selectors.sealed_decision_for_case(case_id=case_id)
    if sealed is None:
        raise NotFound(_("该案件还没有加盖电子印章的决定书。"), code="no_letter")
    return sealed


class CaseLetterApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The sealed decision letter (PDF) of a case", operation_id="case_letter_pdf",
                   responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, case_id: int):
        sealed = _sealed_for(request, case_id)
        response = HttpResponse(signing_selectors.letter_bytes(sealed=sealed), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="decision-{case_id}-{sealed.verification_code}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response


class CaseSealSignatureApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The SM2 seal-signature file and the signed record of a case",
                   responses={200: OpenApiTypes.OBJECT})
    def get(self, request, case_id: int):
        sealed = _sealed_for(request, case_id)
        document = json.loads(signing_selectors.seal_signature_file(sealed=sealed) or b"{}")
        return Response({"seal_signature": document, "record": sealed.record})
