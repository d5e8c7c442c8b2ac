"""Rate limits on code requests: per phone number and per client address (shared cache)."""
from django.core.cache import caches
from django.utils.connection import ConnectionProxy
from rest_framework.throttling import SimpleRateThrottle

from accounts.validators import normalize_mobile


class _Throttle(SimpleRateThrottle):
    cache = ConnectionProxy(caches, "throttle")

    def parse_rate(self, rate):
        # Accepts "3/10min" as well as DRF's "3/min".
        if rate is None:
            return None, None
        count, period = rate.split("/")
        multiplier = "".join(ch for ch in period if ch.isdigit())
        unit = period.lstrip("0123456789")[0]
        seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
        return int(count), seconds * int(multiplier or 1)


class OtpPhoneThrottle(_Throttle):
    scope = "otp_phone"

    def get_cache_key(self, request, view):
        try:
            phone = normalize_mobile(str(request.data.get("phone", "")))
        except Exception:
            return None  # invalid numbers are refused by validation, not counted
        return self.cache_format % {"scope": self.scope, "ident": phone}


class OtpIpThrottle(_Throttle):
    scope = "otp_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OtpVerifyIpThrottle(OtpIpThrottle):
    scope = "otp_verify_ip"
