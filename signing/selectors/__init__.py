"""Reads of the signing module: sealed decisions, trust material, the ledger, and verification check by check.

One module per sub-domain; the public names are gathered here, so `signing.selectors.<name>` is the API.
"""
from signing.selectors.checks import (
    CHECK_LABELS,
    certificate_passed,
    register_problem,
    seal_signature_verify_document,
    signer_checks,
    verification_result,
)
from signing.selectors.decisions import (
    decision_public_summary,
    letter_bytes,
    seal_signature_file,
    sealed_decision_by_code,
    sealed_decision_for_case,
    trust_bundle,
)
from signing.selectors.ledger import entry_hash_of, ledger_entry_check, ledger_verify
from signing.selectors.rules import delegation_for, delegation_problem, keeper_allowed, seal_for_sealing
from signing.selectors.trust import bureau_signed, ca_cert_pem, trust_context, trust_forget
from signing.selectors.verification import (
    letter_verify,
    signature_file_verify,
    verification_by_code,
    verification_caches_clear,
    verification_for_code,
)

__all__ = [
    "CHECK_LABELS",
    "bureau_signed",
    "ca_cert_pem",
    "certificate_passed",
    "decision_public_summary",
    "delegation_for",
    "delegation_problem",
    "entry_hash_of",
    "keeper_allowed",
    "ledger_entry_check",
    "ledger_verify",
    "letter_bytes",
    "letter_verify",
    "register_problem",
    "seal_for_sealing",
    "seal_signature_file",
    "seal_signature_verify_document",
    "sealed_decision_by_code",
    "sealed_decision_for_case",
    "signature_file_verify",
    "signer_checks",
    "trust_bundle",
    "trust_context",
    "trust_forget",
    "verification_by_code",
    "verification_caches_clear",
    "verification_for_code",
    "verification_result",
]
