"""Ledger verification: the whole chain, one entry's link and its inclusion in a signed checkpoint."""
import json
from functools import lru_cache

from django.utils.translation import gettext as _

from signing import checkpoint_store, crypto
from signing.models import Checkpoint, LedgerEntry
from signing.selectors.trust import bureau_signed, ca_cert_pem, trust_context


def _checkpoint_json(checkpoint: Checkpoint, ca_fingerprint: str | None = None) -> dict:
    return {**checkpoint.signed_content(), "signature": checkpoint.signature,
            "ca_sha256": ca_fingerprint or checkpoint.ca.fingerprint}


def entry_hash_of(entry: LedgerEntry) -> str:
    return crypto.sha256_hex(crypto.canonical(entry.hashed_content()))


def ledger_verify() -> dict:
    """Recompute the whole chain and every checkpoint, compare the checkpoints with the exported ones (a deleted
    checkpoint row shows there); name the first broken entry."""
    previous_hash, expected_seq, count = "0" * 64, 1, 0
    leaves: list[bytes] = []
    for entry in LedgerEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if entry.seq != expected_seq:
            return {"ok": False, "broken_seq": expected_seq, "entries": count,
                    "reason": f"entry #{expected_seq} is missing (next stored entry is #{entry.seq})"}
        if entry.prev_hash != previous_hash:
            return {"ok": False, "broken_seq": entry.seq, "entries": count,
                    "reason": f"entry #{entry.seq} does not link to the entry before it (deleted or reordered)"}
        if entry_hash_of(entry) != entry.entry_hash:
            return {"ok": False, "broken_seq": entry.seq, "entries": count,
                    "reason": f"entry #{entry.seq} was altered: its content does not match its hash"}
        previous_hash, expected_seq = entry.entry_hash, expected_seq + 1
        leaves.append(crypto.merkle_leaf(entry.entry_hash))
    database: dict[int, dict] = {}
    for checkpoint in Checkpoint.objects.select_related("ca").order_by("tree_size"):
        ca_cert = crypto.cert_from_pem(checkpoint.ca.cert_pem)
        if not crypto.bureau_verify(ca_cert, checkpoint.signed_content(), checkpoint.signature):
            return {"ok": False, "broken_seq": None, "entries": count,
                    "reason": f"checkpoint of size {checkpoint.tree_size} has an invalid signature"}
        if checkpoint.tree_size > len(leaves) or crypto.merkle_root(
                leaves[:checkpoint.tree_size]).hex() != checkpoint.root_hash:
            return {"ok": False, "broken_seq": checkpoint.tree_size, "entries": count,
                    "reason": f"the ledger no longer matches the signed checkpoint of size {checkpoint.tree_size}"}
        database[checkpoint.tree_size] = _checkpoint_json(checkpoint)
    problems = checkpoint_store.store_problems(database=database, leaves=leaves, ca_pem_of=ca_cert_pem)
    if problems:
        return {"ok": False, "broken_seq": None, "entries": count, "reason": "; ".join(problems)}
    return {"ok": True, "broken_seq": None, "entries": count, "reason": ""}


@lru_cache(maxsize=8)
def _checkpoint_leaves(root_hash: str, tree_size: int) -> tuple[bytes, ...]:
    """The leaves under a signed root (keyed by the root: the same root means the same leaves)."""
    hashes = LedgerEntry.objects.filter(seq__lte=tree_size).order_by("seq").values_list("entry_hash", flat=True)
    return tuple(crypto.merkle_leaf(h) for h in hashes)


def _exported_matches(document: dict) -> bool:
    """The database's checkpoint is the one exported (remembered once seen: exported checkpoints never change;
    verify_ledger reads the store afresh)."""
    key = json.dumps(document, sort_keys=True)
    if key not in _exported_seen:
        if checkpoint_store.exported_checkpoint(document["tree_size"]) != document:
            return False
        _exported_seen.add(key)
    return True


_exported_seen: set[str] = set()


@lru_cache(maxsize=4096)
def _audit_path(root_hash: str, tree_size: int, index: int) -> list[bytes]:
    return crypto.merkle_audit_path(index, list(_checkpoint_leaves(root_hash, tree_size)))



def ledger_entry_check(entry: LedgerEntry, *, trust=None) -> tuple[bool, str, dict]:
    """This entry's hash, its link to the previous one, and its inclusion in the latest signed checkpoint.
    `trust`: the trust context when the caller has it."""
    if entry_hash_of(entry) != entry.entry_hash:
        return False, _("账本记录 #%(seq)d 的内容与其哈希不符（已被篡改）。") % {"seq": entry.seq}, {}
    previous_hash = LedgerEntry.objects.filter(seq=entry.seq - 1).values_list("entry_hash", flat=True).first()
    if entry.seq > 1 and previous_hash != entry.prev_hash:
        return False, _("账本记录 #%(seq)d 与前一条记录的链接断开。") % {"seq": entry.seq}, {}
    # The entry itself goes with its proof: with the signed checkpoint it is a signing time the signer cannot choose
    # (signing/revocation.py: ledger_time, the offline verifier's --proof).
    info = {"seq": entry.seq, "entry_hash": entry.entry_hash, "entry": entry.hashed_content()}
    checkpoint = Checkpoint.objects.filter(tree_size__gte=entry.seq).order_by("-tree_size").first()
    if checkpoint is None:
        following = list(LedgerEntry.objects.filter(seq__gt=entry.seq).order_by("seq")[:1000])
        link = entry.entry_hash
        for later in following:
            if later.prev_hash != link or entry_hash_of(later) != later.entry_hash:
                return False, _("账本记录 #%(seq)d 之后的链条断开。") % {"seq": later.seq}, info
            link = later.entry_hash
        if any(size >= entry.seq for size in checkpoint_store.exported_sizes()):
            return False, _("覆盖账本记录 #%(seq)d 的签名检查点已从数据库中删除。") % {"seq": entry.seq}, info
        return True, _("账本记录 #%(seq)d 存在，哈希链完整；将纳入下一个签名检查点。") % {"seq": entry.seq}, info
    # The caller's context may predate a CA added since (see trust_context): then ask again.
    ca = (trust or trust_context()).anchor(pk=checkpoint.ca_id) or trust_context().anchor(pk=checkpoint.ca_id)
    if ca is None or not bureau_signed(ca.pem, checkpoint.signed_content(), checkpoint.signature):
        return False, _("账本检查点签名无效。"), info
    leaves = list(_checkpoint_leaves(checkpoint.root_hash, checkpoint.tree_size))
    index = entry.seq - 1
    if len(leaves) != checkpoint.tree_size or leaves[index] != crypto.merkle_leaf(entry.entry_hash):
        _checkpoint_leaves.cache_clear()
        _audit_path.cache_clear()
        leaves = list(_checkpoint_leaves(checkpoint.root_hash, checkpoint.tree_size))
    path = _audit_path(checkpoint.root_hash, checkpoint.tree_size, index) if len(leaves) == checkpoint.tree_size else []
    included = crypto.merkle_verify_inclusion(leaf=crypto.merkle_leaf(entry.entry_hash), index=index,
                                              tree_size=checkpoint.tree_size, path=path,
                                              root=bytes.fromhex(checkpoint.root_hash))
    info["checkpoint"] = _checkpoint_json(checkpoint, ca.fingerprint)
    info["inclusion_proof"] = [p.hex() for p in path]
    if not included:
        return False, _("账本记录 #%(seq)d 不在已签名的检查点中（账本被改动）。") % {"seq": entry.seq}, info
    if not _exported_matches(info["checkpoint"]):
        return False, _("数据库中的检查点与对外发布的检查点不一致。"), info
    return True, _("账本记录 #%(seq)d 存在，哈希链完整，已纳入签名检查点（共 %(size)d 条）。") % {
        "seq": entry.seq, "size": checkpoint.tree_size}, info
