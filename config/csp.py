"""django-csp's middleware with the header built once per process instead of once per response.

Our policy comes from settings only (no nonce, no per-view decorators), yet django-csp rebuilds the same
header string from the settings for every response: a quarter of the Python calls of a bare request
(measured with bench/bookings.py's in-process counts). A response whose view changed the policy, or a
request that used a nonce, still goes through django-csp's own code.
"""
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BuildingCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_PER_VIEW = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")
# (header, policy setting, exempt attribute, header value, excluded prefixes), built on first use.
_HEADERS: list[tuple[str, str, str, str, tuple[str, ...]]] = []


def _headers():
    if not _HEADERS:
        built = []
        for header, setting, exempt, report_only in ((HEADER, "CONTENT_SECURITY_POLICY", "_csp_exempt", False),
                                                     (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY",
                                                      "_csp_exempt_ro", True)):
            value = build_policy(report_only=report_only)
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if value:
                built.append((header, setting, exempt, value, prefixes))
        _HEADERS[:] = built  # one assignment: a concurrent request sees the old list or the whole new one
    return _HEADERS


@receiver(setting_changed)
def _policy_changed(*, setting, **_kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _HEADERS.clear()


class CSPMiddleware(BuildingCSPMiddleware):
    def process_response(self, request, response):
        if getattr(request, "_csp_nonce", None) is not None or any(hasattr(response, a) for a in _PER_VIEW):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response
        for header, _setting, exempt, value, prefixes in _headers():
            if header not in response and not getattr(response, exempt, False) \
                    and not request.path_info.startswith(prefixes):
                response[header] = value
        # As django-csp does: a nonce asked for after the header was written is an error, not a silent gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
