"""Issue the GB/T 38540 material the bureau's seals lack: the SM2 seal maker (root) and each seal's SM2 certificate
and SESeal. Seals issued from now on get them at issue; this is for seals made before."""
from django.core.management.base import BaseCommand
from django.db.models import Q

from signing.models import Seal
from signing.services import ca_active
from signing.sm2_services import seal_sm2_issue, sm2_maker_ensure


class Command(BaseCommand):
    help = "Issue the SM2 seal-maker certificate and every seal's SM2 certificate and SESeal (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--maker-pem", help="also write the SM2 seal-maker (root) certificate to this file")

    def handle(self, *args, maker_pem=None, **options):
        ca = sm2_maker_ensure(ca=ca_active())
        issued = 0
        for seal in Seal.objects.filter(Q(seseal_der=b"") | Q(sm2_cert_pem="")).order_by("pk"):
            seal_sm2_issue(seal=seal)
            issued += 1
        if maker_pem:
            with open(maker_pem, "w", encoding="ascii") as handle:
                handle.write(ca.sm2_cert_pem)
        self.stdout.write(f"SM2 seal maker ready; {issued} seal(s) given an SM2 certificate and SESeal")
