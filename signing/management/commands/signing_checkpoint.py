"""Sign a Merkle checkpoint over the ledger now (beat does it periodically); --export-all writes every stored
checkpoint whose signature verifies to the checkpoint store (for checkpoints made before the store existed)."""
from django.core.management.base import BaseCommand

from signing import checkpoint_store, crypto
from signing.models import Checkpoint
from signing.services import checkpoint_create


class Command(BaseCommand):
    help = "Create a signed ledger checkpoint (RFC 6962 Merkle root)."

    def add_arguments(self, parser):
        parser.add_argument("--export-all", action="store_true",
                            help="also export every earlier checkpoint the store lacks")

    def handle(self, *args, export_all=False, **options):
        checkpoint = checkpoint_create()
        self.stdout.write(f"checkpoint size={checkpoint.tree_size} root={checkpoint.root_hash}" if checkpoint
                          else "ledger empty")
        if export_all:
            exported = 0
            for stored in Checkpoint.objects.select_related("ca").order_by("tree_size"):
                if crypto.bureau_verify(crypto.cert_from_pem(stored.ca.cert_pem), stored.signed_content(),
                                        stored.signature):
                    checkpoint_store.checkpoint_export(
                        document=checkpoint_store.checkpoint_document(stored, stored.ca.fingerprint))
                    exported += 1
            self.stdout.write(f"{exported} checkpoint(s) in the store")
