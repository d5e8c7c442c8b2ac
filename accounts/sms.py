"""SMS sending behind a small interface. Console by default; a real gateway plugs in via SMS_BACKEND."""
import sys

from django.conf import settings
from django.utils.module_loading import import_string


class BaseSmsBackend:
    # Whether a message really reaches the person's phone; pages say where a code went by this.
    reaches_phone = True

    def send(self, *, phone: str, message: str) -> None:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Prints the message: the embedded profile's way to read every code (login, seal confirmation)."""

    reaches_phone = False

    def send(self, *, phone: str, message: str) -> None:
        print(f"[SMS to {phone}] {message}", file=sys.stdout, flush=True)


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in memory; tests read `outbox`."""

    reaches_phone = False

    outbox: list[dict] = []

    def send(self, *, phone: str, message: str) -> None:
        LocmemSmsBackend.outbox.append({"phone": phone, "message": message})


def sms_reaches_phone() -> bool:
    """True when SMS_BACKEND delivers to phones (a gateway), False when it prints or keeps messages."""
    return bool(getattr(import_string(settings.SMS_BACKEND), "reaches_phone", True))


def send_sms(*, phone: str, message: str) -> None:
    import_string(settings.SMS_BACKEND)().send(phone=phone, message=message)
