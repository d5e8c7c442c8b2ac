"""API routes of reviews (mounted under /api/v1/)."""
from django.urls import path

from reviews import api, call_case_api, letters_api

urlpatterns = [
    path("cases/", api.CaseListCreateApi.as_view(), name="case-list"),
    path("cases/<int:pk>/", api.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<int:pk>/submit/", api.CaseSubmitApi.as_view(), name="case-submit"),
    path("cases/<int:pk>/materials/", api.CaseMaterialAttachApi.as_view(), name="case-materials"),
    path("cases/<int:pk>/consent/", api.CaseConsentApi.as_view(), name="case-consent"),
    path("cases/<int:pk>/claim/", api.CaseClaimApi.as_view(), name="case-claim"),
    path("cases/<int:pk>/release/", api.CaseReleaseApi.as_view(), name="case-release"),
    path("cases/<int:pk>/decision/", api.CaseDecisionApi.as_view(), name="case-decision"),
    path("cases/<int:pk>/decision/confirmation/", api.CaseDecisionConfirmationApi.as_view(),
         name="case-decision-confirmation"),
    path("cases/<int:case_id>/letter.pdf", letters_api.CaseLetterApi.as_view(), name="case-letter"),
    path("cases/<int:case_id>/seal-signature/", letters_api.CaseSealSignatureApi.as_view(),
         name="case-seal-signature"),
    path("calls/<uuid:call_id>/case/", call_case_api.CallCaseApi.as_view(), name="call-case"),
    path("cases/<int:case_id>/seal-signature", letters_api.CaseSesSignatureApi.as_view(),
         name="case-seal-signature-ses"),
    path("cases/<int:case_id>/letter.ofd", letters_api.CaseLetterOfdApi.as_view(), name="case-letter-ofd"),
    path("reviews/queue/", api.ReviewQueueApi.as_view(), name="review-queue"),
    path("stats/", api.StatsApi.as_view(), name="review-stats"),
]
