"""The tamper-evident ledger: insert-only, hash chain, signed Merkle checkpoints, verify_ledger naming the break."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from signing import crypto
from signing.models import LedgerEntry, LedgerImmutable
from signing.selectors import ledger_entry_check, ledger_verify, letter_verify
from signing.services import checkpoint_create, ledger_append
from tests.support.ledger import tampering

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger(ca):
    for i in range(6):
        ledger_append(kind=LedgerEntry.Kind.KEEPER_GRANTED, subject=f"s{i}", payload={"i": i})
    return list(LedgerEntry.objects.order_by("seq"))


def test_chain_links_every_entry(ledger):
    assert ledger[0].prev_hash == "0" * 64 or ledger[0].seq > 1
    for before, after in zip(ledger, ledger[1:], strict=False):
        assert after.prev_hash == before.entry_hash and after.seq == before.seq + 1
    assert ledger_verify()["ok"]
    call_command("verify_ledger", stdout=open("/dev/null", "w"))


def test_orm_cannot_update_or_delete(ledger):
    entry = ledger[2]
    entry.payload = {"i": 99}
    with pytest.raises(LedgerImmutable):
        entry.save()
    with pytest.raises(LedgerImmutable):
        entry.delete()
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.filter(pk=entry.pk).update(payload={})
    with pytest.raises(LedgerImmutable):
        LedgerEntry.objects.all().delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only")
def test_postgresql_trigger_refuses_raw_update_and_delete(ledger):
    for sql in ("UPDATE signing_ledgerentry SET kind = 'approval' WHERE seq = 2",
                "DELETE FROM signing_ledgerentry WHERE seq = 2"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(sql)


def _broken(seq_expected: int, words: str):
    result = ledger_verify()
    assert not result["ok"] and result["broken_seq"] == seq_expected, result
    assert words in result["reason"]
    with pytest.raises(CommandError, match=f"#{seq_expected}"):
        call_command("verify_ledger")


def test_edited_row_is_named(ledger):
    with tampering() as cursor:
        cursor.execute("UPDATE signing_ledgerentry SET payload = %s WHERE seq = %s", ['{"i": 42}', ledger[3].seq])
    _broken(ledger[3].seq, "altered")


def test_deleted_row_is_named(ledger):
    with tampering() as cursor:
        cursor.execute("DELETE FROM signing_ledgerentry WHERE seq = %s", [ledger[2].seq])
    _broken(ledger[2].seq, "missing")


def test_reordered_rows_are_named(ledger):
    a, b = ledger[1], ledger[2]
    with tampering() as cursor:
        # Swap the positions of two entries (through a free seq to satisfy the unique constraint).
        cursor.execute("UPDATE signing_ledgerentry SET seq = 1000000 WHERE seq = %s", [a.seq])
        cursor.execute("UPDATE signing_ledgerentry SET seq = %s WHERE seq = %s", [a.seq, b.seq])
        cursor.execute("UPDATE signing_ledgerentry SET seq = %s WHERE seq = 1000000", [b.seq])
    _broken(a.seq, "does not link")


def test_rewritten_tail_is_caught_by_the_signed_checkpoint(ledger):
    """Someone rewrites an entry and re-hashes the chain after it: only the signed checkpoint can tell."""
    checkpoint_create()
    with tampering() as cursor:
        previous = ledger[2].entry_hash
        for entry in ledger[3:]:
            entry.prev_hash = previous
            if entry.seq == ledger[3].seq:
                entry.payload = {"i": "forged"}
            entry.entry_hash = crypto.sha256_hex(crypto.canonical(entry.hashed_content()))
            cursor.execute("UPDATE signing_ledgerentry SET payload = %s, prev_hash = %s, entry_hash = %s "
                           "WHERE seq = %s", [crypto.canonical(entry.payload).decode(), entry.prev_hash,
                                              entry.entry_hash, entry.seq])
            previous = entry.entry_hash
    result = ledger_verify()
    assert not result["ok"] and "checkpoint" in result["reason"]


def test_merkle_inclusion_proofs_for_every_size():
    leaves = [crypto.merkle_leaf(crypto.sha256_hex(bytes([i]))) for i in range(13)]
    for size in range(1, 14):
        root = crypto.merkle_root(leaves[:size])
        for index in range(size):
            path = crypto.merkle_audit_path(index, leaves[:size])
            assert crypto.merkle_verify_inclusion(leaf=leaves[index], index=index, tree_size=size, path=path,
                                                  root=root)
            if size > 1:
                assert not crypto.merkle_verify_inclusion(leaf=leaves[(index + 1) % size], index=index,
                                                          tree_size=size, path=path, root=root)


def test_checkpoint_is_signed_and_gives_an_inclusion_proof(ledger):
    checkpoint = checkpoint_create()
    assert checkpoint.tree_size == LedgerEntry.objects.count()
    assert crypto.bureau_verify(crypto.cert_from_pem(checkpoint.ca.cert_pem), checkpoint.signed_content(),
                                checkpoint.signature)
    assert checkpoint_create().pk == checkpoint.pk  # nothing new, no new checkpoint
    ok, _, info = ledger_entry_check(ledger[3])
    assert ok and info["checkpoint"]["tree_size"] == checkpoint.tree_size
    path = [bytes.fromhex(p) for p in info["inclusion_proof"]]
    assert crypto.merkle_verify_inclusion(leaf=crypto.merkle_leaf(ledger[3].entry_hash), index=ledger[3].seq - 1,
                                          tree_size=checkpoint.tree_size, path=path,
                                          root=bytes.fromhex(checkpoint.root_hash))


def test_letter_verification_reports_a_tampered_ledger_entry(sealed):
    checkpoint_create()
    assert letter_verify(pdf=bytes(sealed.letter_pdf))["valid"]
    with tampering() as cursor:
        cursor.execute("UPDATE signing_ledgerentry SET payload = %s WHERE seq = %s",
                       ['{"case_id": 1}', sealed.ledger_entry.seq])
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    ledger_check = next(c for c in result["checks"] if c["name"] == "ledger")
    assert not result["valid"] and not ledger_check["ok"] and "篡改" in ledger_check["detail"]


def test_every_key_event_is_in_the_ledger(sealed, seal):
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert {"ca_created", "seal_issued", "keeper_granted", "approval"} <= kinds


def test_letter_verification_reports_a_deleted_entry_before_its_own(sealed):
    checkpoint_create()
    with tampering() as cursor:
        cursor.execute("DELETE FROM signing_ledgerentry WHERE seq = %s", [sealed.ledger_entry.seq - 1])
    result = letter_verify(pdf=bytes(sealed.letter_pdf))
    ledger_check = next(c for c in result["checks"] if c["name"] == "ledger")
    assert not result["valid"] and not ledger_check["ok"] and "链接断开" in ledger_check["detail"]
