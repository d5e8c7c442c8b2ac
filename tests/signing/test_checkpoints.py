"""Checkpoints cannot be quietly removed: insert-only in the database, and a copy outside it that verify_ledger and
letter verification compare with."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from signing import checkpoint_store, crypto
from signing.models import Checkpoint, LedgerEntry, LedgerImmutable
from signing.selectors import ledger_verify, letter_verify
from signing.services import checkpoint_create, ledger_append
from tests.support.ledger import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpointed(ca):
    for i in range(5):
        ledger_append(kind=LedgerEntry.Kind.KEEPER_GRANTED, subject=f"s{i}", payload={"i": i})
    return checkpoint_create()


def _delete_checkpoints(cursor):
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks on the table being altered
        cursor.execute("ALTER TABLE signing_checkpoint DISABLE TRIGGER signing_checkpoint_insert_only")
    cursor.execute("DELETE FROM signing_checkpoint")
    if connection.vendor == "postgresql":
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush deferred FK checks before re-enabling
        cursor.execute("ALTER TABLE signing_checkpoint ENABLE TRIGGER signing_checkpoint_insert_only")


def test_every_checkpoint_is_exported_and_served(checkpointed, client, checkpoint_store_dir):
    exported = checkpoint_store.exported_checkpoint(checkpointed.tree_size)
    assert exported["root_hash"] == checkpointed.root_hash and exported["signature"] == checkpointed.signature
    assert (checkpoint_store_dir / f"{checkpointed.tree_size:012d}.json").exists()
    response = client.get("/api/v1/signing/checkpoints/")
    assert response.status_code == 200 and response.json()["checkpoints"] == [exported]
    assert ledger_verify()["ok"]


def test_orm_cannot_update_or_delete_a_checkpoint(checkpointed):
    checkpointed.root_hash = "0" * 64
    for attempt in (checkpointed.save, checkpointed.delete, Checkpoint.objects.all().delete,
                    lambda: Checkpoint.objects.update(root_hash="0" * 64)):
        with pytest.raises(LedgerImmutable):
            attempt()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_trigger_refuses_raw_checkpoint_update_and_delete(checkpointed):
    for sql in ("UPDATE signing_checkpoint SET root_hash = 'x'", "DELETE FROM signing_checkpoint"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)


def test_a_deleted_checkpoint_row_is_detected(checkpointed):
    with connection.cursor() as cursor:
        _delete_checkpoints(cursor)
    result = ledger_verify()
    assert not result["ok"] and "missing from the database" in result["reason"]
    with pytest.raises(CommandError, match="missing from the database"):
        call_command("verify_ledger")


def test_rewritten_ledger_rows_with_their_checkpoint_deleted_are_detected(checkpointed):
    entries = list(LedgerEntry.objects.order_by("seq"))
    with tampering() as cursor:
        _delete_checkpoints(cursor)
        previous = entries[1].entry_hash
        for entry in entries[2:]:
            entry.prev_hash = previous
            entry.payload = {"i": "forged"} if entry.seq == entries[2].seq else entry.payload
            entry.entry_hash = crypto.sha256_hex(crypto.canonical(entry.hashed_content()))
            cursor.execute("UPDATE signing_ledgerentry SET payload = %s, prev_hash = %s, entry_hash = %s "
                           "WHERE seq = %s", [crypto.canonical(entry.payload).decode(), entry.prev_hash,
                                              entry.entry_hash, entry.seq])
            previous = entry.entry_hash
    result = ledger_verify()
    assert not result["ok"] and "no longer matches the exported checkpoint" in result["reason"], result


def test_a_checkpoint_missing_from_the_store_is_reported(checkpointed, checkpoint_store_dir):
    (checkpoint_store_dir / f"{checkpointed.tree_size:012d}.json").unlink()
    result = ledger_verify()
    assert not result["ok"] and "missing from the exported store" in result["reason"]


def test_letter_verification_sees_a_deleted_checkpoint(sealed):
    checkpoint_create()
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]
    with connection.cursor() as cursor:
        _delete_checkpoints(cursor)
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    ledger = next(check for check in result["checks"] if check["name"] == "ledger")
    assert not result["valid"] and not ledger["ok"] and "删除" in ledger["detail"]


def test_command_exports_checkpoints_made_before_the_store(checkpointed, checkpoint_store_dir):
    import io

    (checkpoint_store_dir / f"{checkpointed.tree_size:012d}.json").unlink()
    ledger_append(kind=LedgerEntry.Kind.KEEPER_GRANTED, subject="later", payload={})
    call_command("signing_checkpoint", "--export-all", stdout=io.StringIO())
    assert checkpoint_store.exported_sizes() == [checkpointed.tree_size, checkpointed.tree_size + 1]
    assert ledger_verify()["ok"]
