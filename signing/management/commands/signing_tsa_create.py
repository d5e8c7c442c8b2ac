"""Issue the project's own time-stamping authority (RFC 3161): a P-256 key, encrypted at rest, and a certificate
from the bureau's CA with the critical extendedKeyUsage timeStamping. Used when SIGNING_TSA_URL is empty."""
from django.core.management.base import BaseCommand

from signing.tsa import tsa_issue


class Command(BaseCommand):
    help = "Issue the local time-stamping authority's key and certificate (idempotent unless --replace)."

    def add_arguments(self, parser):
        parser.add_argument("--replace", action="store_true", help="a new key and certificate; old tokens verify")
        parser.add_argument("--out", help="also write the TSA certificate (PEM) to this file")

    def handle(self, *args, replace=False, out=None, **options):
        authority = tsa_issue(replace=replace)
        if out:
            with open(out, "w", encoding="ascii") as handle:
                handle.write(authority.cert_pem)
        self.stdout.write(f"time-stamping authority ready: certificate {authority.fingerprint}")
