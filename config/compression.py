"""Text compression and browser caching of answers that may be treated so (issue 22: phones on poor mobile data).

Compression: every text answer — pages, the JSON API, scripts, styles, icons — through Django's GZipMiddleware;
pictures, PDFs and videos are compressed already and pass untouched, as do WhiteNoise's pre-compressed static
files (they say Content-Encoding). Pages carry the CSRF token (the language and logout forms), and compressing a
secret next to text an attacker chooses is the BREACH attack. Django's documented defences hold for them: the
token in a page is masked afresh for every answer (`get_token()`), so there is no fixed secret to guess byte by
byte, and GZipMiddleware adds up to 100 random bytes to every compressed answer ("Heal The Breach"), so lengths
no longer tell a right guess from a wrong one. The session and CSRF cookies are SameSite=Lax besides: another
site's scripts, images and frames fetch our pages without the resident's cookies, hence without her data.

Caching: the organisation directory and the catalog change a few times a year; a phone may keep them a while,
then keep using its copy while it asks again with the ETag (a 304 is a few bytes). Slots, bookings and everything
else are not cached.
"""
import re

from django.middleware.gzip import GZipMiddleware
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.utils.deprecation import MiddlewareMixin

COMPRESSED_TYPES = frozenset({
    "text/html", "text/plain", "application/json", "application/vnd.oai.openapi+json", "text/javascript",
    "application/javascript", "text/css", "image/svg+xml",
})
DIRECTORY_PATH = re.compile(r"^/api/v1/(catalog/.*|divisions/|units/(\d+/)?)$")
DIRECTORY_MAX_AGE = 600  # seconds a phone may use its copy without asking
# Seconds after that during which the phone still uses its copy at once and asks again in the background (the
# answer, usually a 304, serves the next visit). A stale directory costs nothing worse than a station that
# turns out closed when the booking is sent: the server checks every booking against the current data.
DIRECTORY_STALE_WHILE_REVALIDATE = 7 * 24 * 3600


def media_type(response) -> str:
    return response.get("Content-Type", "").split(";")[0].strip().lower()


class TextGZipMiddleware(GZipMiddleware):
    """Django's GZipMiddleware (with its BREACH mitigation), for the text types above only."""

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
        patch_cache_control(response, public=True, max_age=DIRECTORY_MAX_AGE,
                            stale_while_revalidate=DIRECTORY_STALE_WHILE_REVALIDATE)
        set_response_etag(response)
        return get_conditional_response(request, etag=response["ETag"], response=response)
