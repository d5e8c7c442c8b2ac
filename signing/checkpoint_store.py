"""Signed ledger checkpoints kept outside the database, and their comparison with the database's.

Whoever can rewrite the ledger table can also delete its checkpoint rows; a copy in another store
(STORAGES["signing_checkpoints"]: a directory in the embedded profile, object storage in production) keeps the
bureau's signed statements about the ledger where the database's writer cannot quietly remove them.
Each checkpoint is one file, `<tree_size>.json`, the canonical JSON of the signed checkpoint; it is never rewritten.
"""
import json

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from core.logging import get_logger
from signing import crypto

log = get_logger(__name__)
STORE = "signing_checkpoints"


def _store():
    return storages[STORE]


def _name(tree_size: int) -> str:
    return f"{int(tree_size):012d}.json"


def checkpoint_document(checkpoint, ca_fingerprint: str) -> dict:
    return {**checkpoint.signed_content(), "signature": checkpoint.signature, "ca_sha256": ca_fingerprint}


def checkpoint_export(*, document: dict) -> None:
    """Write one signed checkpoint out (after the commit that stored it). An existing file is left as it is."""
    store, name = _store(), _name(document["tree_size"])
    if store.exists(name):
        return
    store.save(name, ContentFile(crypto.canonical(document)))
    log.info("signing.checkpoint_exported", tree_size=document["tree_size"])


def exported_checkpoint(tree_size: int) -> dict | None:
    store, name = _store(), _name(tree_size)
    if not store.exists(name):
        return None
    with store.open(name, "rb") as handle:
        try:
            return json.loads(handle.read())
        except ValueError:
            return {"tree_size": tree_size, "unreadable": True}


def exported_sizes() -> list[int]:
    try:
        _dirs, files = _store().listdir("")
    except FileNotFoundError:  # a directory store before its first checkpoint
        return []
    return sorted(int(name[:-5]) for name in files if name.endswith(".json") and name[:-5].isdigit())


def exported_checkpoints() -> list[dict]:
    return [document for size in exported_sizes() if (document := exported_checkpoint(size)) is not None]


def store_problems(*, database: dict[int, dict], leaves: list[bytes], ca_pem_of) -> list[str]:
    """What differs between the database's checkpoints (`database`: tree_size -> document) and the exported ones,
    and any exported checkpoint the ledger (`leaves`) no longer matches. `ca_pem_of(fingerprint)`: a CA's PEM."""
    problems = []
    exported = {document["tree_size"]: document for document in exported_checkpoints()}
    for size in sorted(set(database) - set(exported)):
        problems.append(f"checkpoint of size {size} is in the database but missing from the exported store")
    for size, document in sorted(exported.items()):
        ca_pem = ca_pem_of(document.get("ca_sha256", ""))
        signed = {key: document.get(key) for key in ("type", "tree_size", "root_hash", "head_hash", "signed_at")}
        if ca_pem is None or not crypto.bureau_verify(crypto.cert_from_pem(ca_pem), signed,
                                                      document.get("signature", "")):
            problems.append(f"exported checkpoint of size {size} has an invalid signature")
            continue
        if size > len(leaves) or crypto.merkle_root(leaves[:size]).hex() != document["root_hash"]:
            problems.append(f"the ledger no longer matches the exported checkpoint of size {size}")
        if size not in database:
            problems.append(f"exported checkpoint of size {size} is missing from the database (deleted)")
        elif database[size] != document:
            problems.append(f"checkpoint of size {size} differs between the database and the exported store")
    return problems
