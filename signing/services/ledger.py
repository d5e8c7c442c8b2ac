"""The append-only ledger: hash-chained entries and the signed Merkle checkpoints over them."""
from django.db import connection, transaction
from django.utils import timezone

from signing import checkpoint_store, crypto
from signing.models import Checkpoint, LedgerEntry
from signing.services.common import _iso, ca_active, ca_private_key

LEDGER_LOCK_KEY = 0x5E41_1ED6  # pg_advisory_xact_lock key serialising ledger appends


def ledger_append(*, kind: str, subject: str, payload: dict) -> LedgerEntry:
    """Append one hash-chained entry. Appends are serialised (advisory lock on PostgreSQL, IMMEDIATE on SQLite).
    Inside a caller's transaction no savepoint: a failed append fails that transaction."""
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Raw SQL: the ORM has no advisory locks.
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LEDGER_LOCK_KEY])
        last_seq, last_hash = (LedgerEntry.objects.order_by("-seq").values_list("seq", "entry_hash").first()
                               or (0, "0" * 64))
        entry = LedgerEntry(seq=last_seq + 1, kind=kind, subject=subject, payload=payload,
                            created_at=_iso(timezone.now()), prev_hash=last_hash)
        entry.entry_hash = crypto.sha256_hex(crypto.canonical(entry.hashed_content()))
        entry.save(force_insert=True)
        return entry


def checkpoint_create() -> Checkpoint | None:
    """Sign the Merkle root over every entry so far (nothing new when no entry was added since the last), then
    write it outside the database once stored. Beat and the command call it outside any transaction; an exported
    checkpoint missing from the database then means a deleted row, not a rolled-back one."""
    checkpoint = _checkpoint_sign()
    if checkpoint is not None:
        document = checkpoint_store.checkpoint_document(checkpoint, checkpoint.ca.fingerprint)
        checkpoint_store.checkpoint_export(document=document)
    return checkpoint


@transaction.atomic
def _checkpoint_sign() -> Checkpoint | None:
    ca = ca_active()
    hashes = list(LedgerEntry.objects.order_by("seq").values_list("entry_hash", flat=True))
    if not hashes:
        return None
    latest = Checkpoint.objects.order_by("-tree_size").first()
    if latest and latest.tree_size == len(hashes):
        return latest
    root = crypto.merkle_root([crypto.merkle_leaf(h) for h in hashes]).hex()
    checkpoint = Checkpoint(tree_size=len(hashes), root_hash=root, head_hash=hashes[-1],
                            signed_at=_iso(timezone.now()), ca=ca)
    checkpoint.signature = crypto.bureau_sign(ca_private_key(ca), checkpoint.signed_content())
    checkpoint.save(force_insert=True)
    return checkpoint
