"""The WebSocket Origin check: a socket is opened only by a page of this very site, or of a trusted origin.

Channels' AllowedHostsOriginValidator compares the Origin's host with ALLOWED_HOSTS and ignores its scheme
and port, so a page on http://site:8080 (another service on the same host) could open sockets with the
user's cookies. Here the Origin must be exactly the site's own origin, as Django's CSRF check builds it for
HTTP (scheme from SECURE_PROXY_SSL_HEADER, host and port from the Host header, which must be allowed), or
one of CSRF_TRUSTED_ORIGINS. The comparison itself is Channels' OriginValidator, given those exact origins.
"""
from channels.security.websocket import OriginValidator
from django.conf import settings
from django.http.request import split_domain_port, validate_host


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _site_scheme(scope) -> str:
    if scope.get("scheme") in ("wss", "https"):
        return "https"
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        header, secure_value = proxy
        name = header.removeprefix("HTTP_").lower().replace("_", "-").encode("latin1")
        forwarded = _header(scope, name)
        if forwarded is not None and forwarded.split(",", 1)[0].strip() == secure_value:
            return "https"
    return "http"


def allowed_origins(scope) -> list[str]:
    """The exact origins a socket of this request may come from."""
    # "https://*.example.org" in Django's spelling is "https://.example.org" in Channels'.
    origins = [origin.replace("://*.", "://.", 1) for origin in settings.CSRF_TRUSTED_ORIGINS]
    host = (_header(scope, b"host") or "").lower()
    domain, _port = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS
    if settings.DEBUG and not allowed_hosts:
        allowed_hosts = [".localhost", "127.0.0.1", "[::1]"]  # as Django's HttpRequest.get_host
    if domain and validate_host(domain, allowed_hosts):
        origins.append(f"{_site_scheme(scope)}://{host}")
    return origins


class SameOriginValidator:
    """ASGI middleware for the websocket protocol: refuses the handshake unless the Origin is allowed."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        return await OriginValidator(self.application, allowed_origins(scope))(scope, receive, send)
