"""Revocation judged at a trusted time: what a CRL and a time the signer cannot choose prove about a certificate.

No Django here: the offline verifier (signing/verify_offline.py) runs with cryptography, gmssl-pyx and rfc8785 only.

The signer writes its own signing time into the signature, so that time proves nothing: a thief with a revoked
seal's key writes a time before the revocation. A time counts only when someone other than the signer vouches for
it: a timestamp token from a time-stamping authority, or the bureau's ledger entry for the letter under a checkpoint
the bureau signed. Without such a time a revoked certificate never verifies, and without a CRL nobody can say the
certificate was not revoked.
"""
import base64
import datetime
import hashlib
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from signing.merkle import merkle_leaf, merkle_verify_inclusion


@dataclass(frozen=True)
class TrustedTime:
    """A moment at which the signature is known to have existed, vouched for by `source` (not by the signer):
    "timestamp" (params: tsa) or "ledger" (params: seq, size); signing/messages.py TIME_SOURCES says it in words."""

    at: datetime.datetime
    source: str
    params: dict = field(default_factory=dict)


def stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")


def crl_problem(crl: x509.CertificateRevocationList, ca: x509.Certificate, now: datetime.datetime) -> str | None:
    """Why this CRL cannot be relied on now ("crl_invalid": not the CA's, "crl_stale"), or None."""
    if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):
        return "crl_invalid"
    if crl.next_update_utc is None or crl.next_update_utc <= now:
        return "crl_stale"
    return None


def certificate_status(*, cert: x509.Certificate, ca: x509.Certificate, crl_pem: bytes | None,
                       trusted: TrustedTime | None,
                       now: datetime.datetime | None = None) -> tuple[bool, str, dict]:
    """Was `cert` valid and unrevoked when it signed? (ok, code, params). Judged at the trusted time when there is
    one, else at `now` (a signature whose time nobody vouches for is only as good as the certificate is today)."""
    return serial_status(serial=cert.serial_number, not_before=cert.not_valid_before_utc,
                         not_after=cert.not_valid_after_utc, ca=ca, crl_pem=crl_pem, trusted=trusted, now=now)


def serial_status(*, serial: int, not_before: datetime.datetime, not_after: datetime.datetime,
                  ca: x509.Certificate, crl_pem: bytes | None, trusted: TrustedTime | None,
                  now: datetime.datetime | None = None) -> tuple[bool, str, dict]:
    """certificate_status for a certificate `cryptography` cannot load whole (an SM2 one), by its serial number
    on the bureau's CRL and its validity window. Codes: "ok", "revoked_later" (passed); the PDF verifier's reasons
    certificate_expired, revocation_unknown, crl_invalid, crl_stale, untrusted_time, certificate_revoked (failed).
    Words for them: signing/messages.py CERTIFICATE, then signing/pades.py MESSAGES."""
    now = now or datetime.datetime.now(datetime.UTC)
    at = trusted.at if trusted else now
    params = {"when": stamp(at)}
    if not (not_before <= at < not_after):
        return False, "certificate_expired", params
    if not crl_pem:
        return False, "revocation_unknown", params
    try:
        crl = x509.load_pem_x509_crl(crl_pem)
    except ValueError:
        return False, "crl_invalid", params
    problem = crl_problem(crl, ca, now)
    if problem:
        return False, problem, params
    revoked = crl.get_revoked_certificate_by_serial_number(serial)
    if revoked is None:
        return True, "ok", {**params, "crl_date": stamp(crl.last_update_utc)}
    params["revoked"] = stamp(revoked.revocation_date_utc)
    if trusted is None:
        return False, "untrusted_time", params
    if revoked.revocation_date_utc <= trusted.at:
        return False, "certificate_revoked", params
    return True, "revoked_later", params


# --- The ledger as a time source ----------------------------------------------------------------
def ledger_time(*, proof: dict, document_sha256: str, ca: x509.Certificate, canonical,
                key: str = "letter_sha256") -> tuple[TrustedTime | None, str]:
    """The time of the bureau's ledger entry for this document, when a checkpoint signed by the CA includes it;
    else (None, why not: a key of signing/messages.py LEDGER_PROBLEMS).

    `proof` is the `ledger` part of a verification result (GET /api/v1/signing/verify/?code=…): the entry's hashed
    content, its inclusion proof and the signed checkpoint. `canonical` is RFC 8785 (rfc8785.dumps)."""
    try:
        entry, checkpoint = proof["entry"], proof["checkpoint"]
        signed = {key: checkpoint[key] for key in ("type", "tree_size", "root_hash", "head_hash", "signed_at")}
        try:
            ca.public_key().verify(base64.b64decode(checkpoint["signature"]), canonical(signed),
                                   ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return None, "checkpoint_unsigned"
        entry_hash = hashlib.sha256(canonical(entry)).hexdigest()
        if entry["payload"].get(key) != document_sha256:
            return None, "other_document"
        if not merkle_verify_inclusion(leaf=merkle_leaf(entry_hash), index=entry["seq"] - 1,
                                       tree_size=signed["tree_size"],
                                       path=[bytes.fromhex(p) for p in proof["inclusion_proof"]],
                                       root=bytes.fromhex(signed["root_hash"])):
            return None, "not_included"
        at = datetime.datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None, "unreadable"
    return TrustedTime(at, "ledger", {"seq": entry["seq"], "size": signed["tree_size"]}), ""
