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
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from signing.merkle import merkle_leaf, merkle_verify_inclusion


@dataclass(frozen=True)
class TrustedTime:
    """A moment at which the signature is known to have existed, vouched for by `source` (not by the signer)."""

    at: datetime.datetime
    source: str


def _stamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")


def crl_problem(crl: x509.CertificateRevocationList, ca: x509.Certificate, now: datetime.datetime) -> str | None:
    """Why this CRL cannot be relied on now (not the CA's, stale), or None."""
    if crl.issuer != ca.subject or not crl.is_signature_valid(ca.public_key()):
        return "the CRL is not signed by this CA"
    if crl.next_update_utc is None or crl.next_update_utc <= now:
        due = _stamp(crl.next_update_utc) if crl.next_update_utc else "never announced"
        return f"the CRL is stale (its next update was due {due}); fetch a current CRL"
    return None


def certificate_status(*, cert: x509.Certificate, ca: x509.Certificate, crl_pem: bytes | None,
                       trusted: TrustedTime | None,
                       now: datetime.datetime | None = None) -> tuple[bool, str]:
    """Was `cert` valid and unrevoked when it signed? (ok, detail). Judged at the trusted time when there is one,
    else at `now` (a signature whose time nobody vouches for is only as good as the certificate is today)."""
    return serial_status(serial=cert.serial_number, not_before=cert.not_valid_before_utc,
                         not_after=cert.not_valid_after_utc, ca=ca, crl_pem=crl_pem, trusted=trusted, now=now)


def serial_status(*, serial: int, not_before: datetime.datetime, not_after: datetime.datetime,
                  ca: x509.Certificate, crl_pem: bytes | None, trusted: TrustedTime | None,
                  now: datetime.datetime | None = None) -> tuple[bool, str]:
    """certificate_status for a certificate `cryptography` cannot load whole (an SM2 one), by its serial number
    on the bureau's CRL and its validity window."""
    now = now or datetime.datetime.now(datetime.UTC)
    at, when = (trusted.at, f"at {_stamp(trusted.at)} ({trusted.source})") if trusted else (
        now, f"now ({_stamp(now)}; the letter carries no trusted signing time)")
    if not (not_before <= at < not_after):
        return False, f"certificate was not valid {when}"
    if not crl_pem:
        return False, (f"certificate valid {when}, but its revocation status is unknown: no CRL was given, so the "
                       "letter cannot be shown to predate a revocation")
    try:
        crl = x509.load_pem_x509_crl(crl_pem)
    except ValueError:
        return False, "the CRL cannot be read"
    problem = crl_problem(crl, ca, now)
    if problem:
        return False, problem
    revoked = crl.get_revoked_certificate_by_serial_number(serial)
    if revoked is None:
        return True, f"certificate valid {when}; not on the CRL of {_stamp(crl.last_update_utc)}"
    revoked_at = revoked.revocation_date_utc
    if trusted is None:
        return False, (f"certificate was revoked at {_stamp(revoked_at)} and the letter carries no trusted signing "
                       "time, so it cannot be shown to predate the revocation")
    if revoked_at <= trusted.at:
        return False, f"certificate was revoked at {_stamp(revoked_at)}, before the trusted time {_stamp(trusted.at)}"
    return True, (f"certificate valid {when}; revoked later ({_stamp(revoked_at)}), so the letter stays valid")


# --- The ledger as a time source ----------------------------------------------------------------
def ledger_time(*, proof: dict, document_sha256: str, ca: x509.Certificate, canonical,
                key: str = "letter_sha256") -> tuple[TrustedTime | None, str]:
    """The time of the bureau's ledger entry for this document, when a checkpoint signed by the CA includes it.

    `proof` is the `ledger` part of a verification result (GET /api/v1/signing/verify/?code=…): the entry's hashed
    content, its inclusion proof and the signed checkpoint. `canonical` is RFC 8785 (rfc8785.dumps)."""
    try:
        entry, checkpoint = proof["entry"], proof["checkpoint"]
        signed = {key: checkpoint[key] for key in ("type", "tree_size", "root_hash", "head_hash", "signed_at")}
        try:
            ca.public_key().verify(base64.b64decode(checkpoint["signature"]), canonical(signed),
                                   ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return None, "the ledger checkpoint is not signed by this CA"
        entry_hash = hashlib.sha256(canonical(entry)).hexdigest()
        if entry["payload"].get(key) != document_sha256:
            return None, "the ledger entry is about another document"
        if not merkle_verify_inclusion(leaf=merkle_leaf(entry_hash), index=entry["seq"] - 1,
                                       tree_size=signed["tree_size"],
                                       path=[bytes.fromhex(p) for p in proof["inclusion_proof"]],
                                       root=bytes.fromhex(signed["root_hash"])):
            return None, "the ledger entry is not in the signed checkpoint"
        at = datetime.datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00"))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None, "the ledger proof cannot be read"
    return TrustedTime(at, f"ledger entry #{entry['seq']} under the checkpoint of size {signed['tree_size']}"), ""
