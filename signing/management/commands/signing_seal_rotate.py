"""Rotate a unit's seal: new keys and certificate; what the old seal sealed still verifies."""
from django.core.management.base import BaseCommand, CommandError

from core.errors import ServiceError
from signing.services import seal_rotate
from stations.models import Unit


class Command(BaseCommand):
    help = "Replace the active seal of a unit with a new one (new keys, new certificate)."

    def add_arguments(self, parser):
        parser.add_argument("unit_code")

    def handle(self, *args, unit_code, **options):
        unit = Unit.objects.filter(code=unit_code).first()
        if unit is None:
            raise CommandError(f"no unit with code {unit_code}")
        try:
            seal = seal_rotate(unit=unit)
        except ServiceError as exc:
            raise CommandError(str(exc.detail)) from None
        self.stdout.write(f"new seal {seal.serial} for {unit.name}")
