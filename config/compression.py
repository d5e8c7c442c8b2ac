"""Text compression and browser caching for answers that are safe to treat so (issue 22: phones on poor mobile data).

Compression: only answers that carry no CSRF token — the JSON API and static scripts, styles and icons. Every page
carries the token (the language form in its header), and compressing a secret in the same answer as text an
attacker can choose is the BREACH attack; JSON answers carry no token (it travels in a cookie), and Django's
GZipMiddleware adds its own length mitigation on top. WhiteNoise's pre-compressed files (collectstatic) already say
Content-Encoding and pass through untouched.

Caching: the organisation directory and the catalog change a few times a year; a phone may keep them a while and
then ask again with the ETag (a 304 is a few bytes). Slots, bookings and everything else are not cached.
"""
import re

from django.middleware.gzip import GZipMiddleware
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.deprecation import MiddlewareMixin

COMPRESSED_TYPES = frozenset({
    "application/json", "application/vnd.oai.openapi+json", "text/javascript", "application/javascript",
    "text/css", "image/svg+xml",
})
DIRECTORY_PATH = re.compile(r"^/api/v1/(catalog/.*|divisions/|units/(\d+/)?)$")
DIRECTORY_MAX_AGE = 600  # seconds a phone may use its copy before asking again


def media_type(response) -> str:
    return response.get("Content-Type", "").split(";")[0].strip().lower()


class TokenFreeGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware, for the content types above only (never a page with a CSRF token)."""

    def process_response(self, request, response):
        if media_type(response) not in COMPRESSED_TYPES:
            return response
        return super().process_response(request, response)


class DirectoryCacheMiddleware(MiddlewareMixin):
    """Cache-Control and an ETag on GET answers of the directory and the catalog; 304 when the phone has it."""

    def process_response(self, request, response):
        if (request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming
                or not DIRECTORY_PATH.match(request.path) or response.has_header("Cache-Control")):
            return response
        patch_cache_control(response, public=True, max_age=DIRECTORY_MAX_AGE)
        set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)
