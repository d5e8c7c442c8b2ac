"""ICE servers for a call: STUN, and TURN with short-lived credentials (coturn's REST scheme)."""
import base64
import hashlib
import hmac
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from calls.models import Call
from calls.selectors.rooms import call_get_for_room


def turn_credential(*, secret: str, user_id, expires_at: int) -> tuple[str, str]:
    """coturn's REST API scheme (use-auth-secret): username `expiry:user`, password base64(HMAC-SHA1)."""
    username = f"{expires_at}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(*, user, call: Call | None = None, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    ttl = int(getattr(settings, "TURN_CREDENTIAL_TTL", 3600))
    if call is not None and call.booking_id:
        # Valid for the rest of the booked session plus overrun, never less than the session itself.
        remaining = (call.booking.ends_at - now).total_seconds()
        ttl = int(max(remaining, call.booking.item.session_minutes * 60) + 1800)
    servers = []
    stun_urls = list(getattr(settings, "STUN_URLS", []))
    if stun_urls:
        servers.append({"urls": stun_urls})
    turn_urls = list(getattr(settings, "TURN_URLS", []))
    secret = getattr(settings, "TURN_SECRET", "")
    expires_at = int(now.timestamp()) + ttl
    if turn_urls and secret:
        username, credential = turn_credential(secret=secret, user_id=user.pk, expires_at=expires_at)
        servers.append({"urls": turn_urls, "username": username, "credential": credential})
    return {"iceServers": servers, "ttl": ttl, "expires_at": expires_at}


def ice_servers_for(*, user, call_id=None) -> dict:
    """ICE servers for `user`; with `call_id`, credentials that last the call, for someone with a place in it."""
    call = call_get_for_room(call_id=call_id, user=user) if call_id else None
    return ice_servers(user=user, call=call)
