"""Create the bureau's root certificate (idempotent; --replace starts a new CA)."""
from django.core.management.base import BaseCommand

from signing.services import ca_create


class Command(BaseCommand):
    help = "Create the bureau CA (P-256) whose certificate verifies every seal."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=None)
        parser.add_argument("--replace", action="store_true", help="retire the active CA and create a new one")
        parser.add_argument("--out", default=None, help="also write the CA certificate (PEM) to this file")

    def handle(self, *args, name=None, replace=False, out=None, **options):
        ca = ca_create(name=name, replace=replace)
        if out:
            with open(out, "w", encoding="ascii") as handle:
                handle.write(ca.cert_pem)
        self.stdout.write(f"CA {ca.name} sha256={ca.fingerprint}")
