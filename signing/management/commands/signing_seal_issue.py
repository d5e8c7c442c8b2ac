"""Issue a seal for a unit: certificate, SM2 key, picture; the unit's seal keepers may use it."""
from django.core.management.base import BaseCommand, CommandError

from core.errors import ServiceError
from signing.services import seal_issue, unit_seal_keepers
from stations.models import Unit


class Command(BaseCommand):
    help = "Issue an electronic seal for the unit with this code."

    def add_arguments(self, parser):
        parser.add_argument("unit_code")
        parser.add_argument("--backend", choices=["file", "pkcs11"], default="file")
        parser.add_argument("--token", default="", help="PKCS#11 token label (with --backend pkcs11)")

    def handle(self, *args, unit_code, backend, token, **options):
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise CommandError(f"no unit with code {unit_code}")
        try:
            seal = seal_issue(unit=unit, key_backend=backend, pkcs11_token=token, keepers=list(unit_seal_keepers(unit)))
        except ServiceError as exc:
            raise CommandError(str(exc.detail)) from None
        self.stdout.write(f"seal {seal.serial} for {unit.name} ({backend}), keepers: {seal.keepers.count()}")
