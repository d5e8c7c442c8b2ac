"""Trusted time on the verifying side: an RFC 3161 timestamp token checked, and the rules every verifier applies.

No Django here: `signing.pades.pdf_verdict` (PAdES, where pyHanko reads the signature timestamp with
`validation_context`), the .ses / OFD verifiers online (signing/ses_verify.py) and offline (signing/ses_offline.py)
all use it, so the API, the /verify/ page and signing/verify_offline.py judge time alike.

The rules:
- A token must verify: its CMS signature, its message imprint over the signature value, and its TSA certificate
  chained to a trusted TSA root with the timeStamping purpose. Otherwise the signature is refused
  (timestamp_invalid, timestamp_untrusted): a token that does not hold is a forgery's tell, not a missing token.
- Its genTime, never the signer's claimed time, is the moment validity and revocation are judged at.
- A claimed time more than MAX_SKEW from genTime is refused (time_mismatch): the claimed time is shown to readers,
  so it must not be a lie the token contradicts.
- No token: a signature whose time (the ledger's when a checkpoint proves it, else the claimed one) is on or after
  REQUIRED_SINCE is refused (timestamp_missing): every letter sealed since then carries one. Older letters are judged
  as before, with the note "no trusted time from a time-stamping authority". Back-dating the claimed time before
  REQUIRED_SINCE gains a thief nothing: without a trusted time a revoked seal never verifies.
"""
import asyncio
import datetime
import hashlib
from dataclasses import dataclass

from asn1crypto import cms
from pyhanko.sign.general import CMSExtractionError
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko.sign.validation.status import TimestampSignatureStatus
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, CertRevTrustPolicy

REQUIRED_SINCE = datetime.datetime(2026, 12, 2, tzinfo=datetime.UTC)  # the day sealing began to ask a TSA
MAX_SKEW = datetime.timedelta(minutes=10)  # a sealing asks the TSA right after signing; this is slack, not a window

OK = "ok"
INVALID = "timestamp_invalid"
UNTRUSTED = "timestamp_untrusted"
MISSING = "timestamp_missing"
MISMATCH = "time_mismatch"


@dataclass(frozen=True)
class Stamp:
    """What a timestamp token says: `code` OK with the TSA's time `at`, or why it cannot be relied on."""

    code: str
    at: datetime.datetime | None = None
    tsa: str = ""


def validation_context(roots, now: datetime.datetime) -> ValidationContext:
    """The TSA's certificate is checked against the TSA roots only (production: the national TSA's root; embedded:
    the bureau's CA, which issued the local TSA). Revocation of TSA certificates is not checked (no CRL of the
    national TSA is available offline)."""
    return ValidationContext(trust_roots=list(roots), allow_fetching=False, moment=now,
                             revinfo_policy=CertRevTrustPolicy(NO_REVOCATION))


def token_check(token: bytes, *, signature_value: bytes, roots, now: datetime.datetime) -> Stamp:
    """An SES_Signature's `timeStamp`: a DER ContentInfo whose TSTInfo imprints the signature value."""
    def imprint(algorithm: str) -> bytes:
        return hashlib.new(algorithm, signature_value).digest()

    try:
        content = cms.ContentInfo.load(token, strict=True)
        if content["content_type"].native != "signed_data":
            return Stamp(INVALID)
        found = asyncio.run(validate_tst_signed_data(content["content"], validation_context(roots, now),
                                                     expected_tst_imprint=imprint))
        status = TimestampSignatureStatus(**found)
    except (ValueError, TypeError, KeyError, SignatureValidationError, CMSExtractionError):
        return Stamp(INVALID)
    return stamp_of(status)


def stamp_of(status: TimestampSignatureStatus | None) -> Stamp | None:
    """pyHanko's status of a token as a Stamp (None: there was no token)."""
    if status is None:
        return None
    if not (status.intact and status.valid):
        return Stamp(INVALID)
    if not status.trusted:
        return Stamp(UNTRUSTED)
    return Stamp(OK, status.timestamp, status.signing_cert.subject.human_friendly)


def time_problem(*, stamp: Stamp | None, claimed: datetime.datetime | None,
                 known_at: datetime.datetime | None = None) -> str | None:
    """The rules above for a signature whose token (if any) verified: None, MISSING or MISMATCH."""
    if stamp is None:
        moment = known_at or claimed
        return MISSING if moment is None or moment >= REQUIRED_SINCE else None
    if claimed is not None and abs(claimed - stamp.at) > MAX_SKEW:
        return MISMATCH
    return None
