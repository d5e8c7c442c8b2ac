"""The WebSocket Origin check: only the site's own origin (scheme, host and port of the request) or a
CSRF-trusted origin opens a socket; the same host on another port or scheme, another allowed host, a host
that is not allowed, a missing or "null" Origin are refused at the handshake."""
import pytest

from tests.support.calls import adb, make_resident, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


async def opens(user, *, origin, host="127.0.0.1", extra_headers=None) -> bool:
    socket = await open_socket("/ws/me/", user, origin=origin, host=host, extra_headers=extra_headers)
    if socket.connected:
        assert (await socket.expect("hello"))["user_id"] == user.pk
    return socket.connected


async def test_only_the_sites_own_origin_opens_a_socket(calls_org):
    resident = await adb(make_resident)(calls_org)
    assert await opens(resident, origin="http://127.0.0.1")
    assert await opens(resident, origin="http://127.0.0.1:8000", host="127.0.0.1:8000")
    for origin, host in [
        ("http://127.0.0.1:8080", "127.0.0.1"),  # the same host, another port
        ("http://127.0.0.1", "127.0.0.1:8000"),
        ("https://127.0.0.1", "127.0.0.1"),  # another scheme
        ("ws://127.0.0.1", "127.0.0.1"),
        ("http://localhost", "127.0.0.1"),  # another allowed host is another site
        ("http://evil.example", "evil.example"),  # a host not in ALLOWED_HOSTS
        ("http://127.0.0.1.evil.example", "127.0.0.1"),
        ("null", "127.0.0.1"),
        ("", "127.0.0.1"),  # no Origin header at all
    ]:
        assert not await opens(resident, origin=origin, host=host), (origin, host)


async def test_behind_the_tls_proxy_the_site_origin_is_https(calls_org, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    resident = await adb(make_resident)(calls_org)
    forwarded = [(b"x-forwarded-proto", b"https")]
    assert await opens(resident, origin="https://127.0.0.1", extra_headers=forwarded)
    assert not await opens(resident, origin="http://127.0.0.1", extra_headers=forwarded)
    assert not await opens(resident, origin="https://127.0.0.1")  # no proof of TLS from the proxy


async def test_csrf_trusted_origins_are_accepted_exactly(calls_org, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://app.example.org", "https://*.bureau.example"]
    resident = await adb(make_resident)(calls_org)
    assert await opens(resident, origin="https://app.example.org")
    assert await opens(resident, origin="https://desk.bureau.example")
    assert not await opens(resident, origin="http://app.example.org")
    assert not await opens(resident, origin="https://app.example.org:8443")
    assert not await opens(resident, origin="https://bureau.example.evil")
