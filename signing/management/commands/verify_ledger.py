"""Recompute the whole ledger hash chain and every signed checkpoint; name the first broken entry."""
from django.core.management.base import BaseCommand, CommandError

from signing.selectors import ledger_verify


class Command(BaseCommand):
    help = "Verify the tamper-evident ledger (hash chain and signed Merkle checkpoints)."

    def handle(self, *args, **options):
        result = ledger_verify()
        if not result["ok"]:
            raise CommandError(f"ledger BROKEN at entry #{result['broken_seq']}: {result['reason']}")
        self.stdout.write(f"ledger OK: {result['entries']} entries, chain and checkpoints intact")
