"""Sign a Merkle checkpoint over the ledger now (beat does it periodically)."""
from django.core.management.base import BaseCommand

from signing.services import checkpoint_create


class Command(BaseCommand):
    help = "Create a signed ledger checkpoint (RFC 6962 Merkle root)."

    def handle(self, *args, **options):
        checkpoint = checkpoint_create()
        self.stdout.write(f"checkpoint size={checkpoint.tree_size} root={checkpoint.root_hash}" if checkpoint
                          else "ledger empty")
