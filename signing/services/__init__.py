"""Writes of the signing module: CA, seals and keys, delegations, step-up codes, sealing decisions, the ledger.

One module per sub-domain; the public names are gathered here, so `signing.services.<name>` is the API.
"""
from signing.services.authority import ca_create, crl_refresh
from signing.services.common import DECISIONS, RECORD_TYPE, SEAL_SIGNATURE_FORMAT, ca_active, ca_private_key, mask_name
from signing.services.confirmation import MAX_CODE_ATTEMPTS, confirmation_issue
from signing.services.delegations import delegation_grant, delegation_revoke
from signing.services.ledger import LEDGER_LOCK_KEY, checkpoint_create, ledger_append
from signing.services.records import approval_record_build, confirmation_summary
from signing.services.sealing import (
    decision_record_ledger,
    decision_seal,
    seal_signature_document,
    seal_usable,
    verification_url,
)
from signing.services.seals import (
    seal_issue,
    seal_keeper_grant,
    seal_keeper_remove,
    seal_revoke,
    seal_rotate,
    unit_seal_keepers,
)

__all__ = [
    "DECISIONS",
    "LEDGER_LOCK_KEY",
    "MAX_CODE_ATTEMPTS",
    "RECORD_TYPE",
    "SEAL_SIGNATURE_FORMAT",
    "approval_record_build",
    "ca_active",
    "ca_create",
    "ca_private_key",
    "checkpoint_create",
    "confirmation_issue",
    "confirmation_summary",
    "crl_refresh",
    "decision_record_ledger",
    "decision_seal",
    "delegation_grant",
    "delegation_revoke",
    "ledger_append",
    "mask_name",
    "seal_issue",
    "seal_keeper_grant",
    "seal_keeper_remove",
    "seal_revoke",
    "seal_rotate",
    "seal_signature_document",
    "seal_usable",
    "unit_seal_keepers",
    "verification_url",
]
