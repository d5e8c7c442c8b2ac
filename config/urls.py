"""URL map: admin, the v1 API of every app, the pages, health probes and API docs."""
from django.conf.urls.i18n import i18n_patterns  # noqa: F401  (pages keep one URL for both languages)
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config import health, metrics
from frontend.verify import verify_page
from signing.tsa_api import tsa_endpoint

metrics.register()  # call sockets, Celery queue depth, SLA breaches beside the request metrics

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("stations.urls")),
    path("", include("bookings.urls")),
    path("", include("calls.urls")),
    path("", include("reviews.urls")),
    path("", include("signing.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("django_prometheus.urls")),
    # The page lives with the other resident pages (same header, language and elderly mode); the checks are signing's.
    path("verify/", verify_page, name="verify"),
    path("tsa/", tsa_endpoint, name="tsa"),  # RFC 3161 over HTTP: the project's own time-stamping authority
    path("", include("frontend.urls")),
]

handler400 = "core.errors.handler400"
handler404 = "core.errors.handler404"
handler500 = "core.errors.handler500"
