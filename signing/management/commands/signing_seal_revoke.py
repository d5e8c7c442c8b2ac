"""Revoke a seal (by serial, or the active seal of a unit code): it can no longer seal; the CRL is re-issued."""
from django.core.management.base import BaseCommand, CommandError

from core.errors import ServiceError
from signing.models import Seal
from signing.services import seal_revoke


class Command(BaseCommand):
    help = "Revoke a seal: by seal serial or by unit code (its active seal)."

    def add_arguments(self, parser):
        parser.add_argument("seal_or_unit")
        parser.add_argument("--reason", default="key compromise")

    def handle(self, *args, seal_or_unit, reason, **options):
        seal = (Seal.objects.filter(serial=seal_or_unit).first()
                or Seal.objects.filter(unit__code=seal_or_unit, status=Seal.Status.ACTIVE).first())
        if seal is None:
            raise CommandError(f"no seal {seal_or_unit}")
        try:
            seal_revoke(seal=seal, reason=reason)
        except ServiceError as exc:
            raise CommandError(str(exc.detail)) from None
        self.stdout.write(f"revoked {seal.serial}")
