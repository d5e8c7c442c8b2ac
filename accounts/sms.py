"""SMS sending behind a small interface. Console by default; a real gateway plugs in via SMS_BACKEND."""
import sys

from django.conf import settings
from django.utils.module_loading import import_string


class BaseSmsBackend:
    def send(self, *, phone: str, message: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints the message: the embedded profile's way to read login codes."""

    def send(self, *, phone: str, message: str) -> None:
        print(f"[SMS to {phone}] {message}", file=sys.stdout, flush=True)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in memory; tests read `outbox`."""

    outbox: list[dict] = []

    def send(self, *, phone: str, message: str) -> None:
        LocmemSmsBackend.outbox.append({"phone": phone, "message": message})


def send_sms(*, phone: str, message: str) -> None:
    import_string(settings.SMS_BACKEND)().send(phone=phone, message=message)
