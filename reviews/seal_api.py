"""The GB/T 38540 SES_Signature of a case's sealed letter, for whoever may see the case (signing never imports
reviews, so the view that joins the two lives here)."""
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from core.errors import NotFound
from reviews import selectors as review_selectors
from signing.selectors import sealed_decision_for_case
from signing.ses_verify import case_letter_ofd, case_ses_signature


class CaseSesSignatureApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The detached GB/T 38540 SES_Signature over the case's letter.pdf",
                   operation_id="case_seal_signature_ses",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, case_id: int):
        review_selectors.case_get_for_user(user=request.user, case_id=case_id)
        sealed = sealed_decision_for_case(case_id=case_id)
        ses = case_ses_signature(sealed=sealed) if sealed is not None else b""
        if not ses:
            raise NotFound(_("该案件还没有 GB/T 38540 电子签章数据。"), code="no_ses_signature")
        response = HttpResponse(ses, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="decision-{case_id}-{sealed.verification_code}.ses"'
        response["Cache-Control"] = "private, no-store"
        return response


class CaseLetterOfdApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="The sealed decision letter as OFD (GB/T 33190), signed per GB/T 38540",
                   operation_id="case_letter_ofd", responses={(200, "application/ofd"): OpenApiTypes.BINARY})
    def get(self, request, case_id: int):
        review_selectors.case_get_for_user(user=request.user, case_id=case_id)
        sealed = sealed_decision_for_case(case_id=case_id)
        letter = case_letter_ofd(sealed=sealed) if sealed is not None else b""
        if not letter:
            raise NotFound(_("该案件还没有 OFD 格式的决定书。"), code="no_letter_ofd")
        response = HttpResponse(letter, content_type="application/ofd")
        response["Content-Disposition"] = f'attachment; filename="decision-{case_id}-{sealed.verification_code}.ofd"'
        response["Cache-Control"] = "private, no-store"
        return response
