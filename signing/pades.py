"""The PAdES side of verifying a letter, with pyHanko's parser and checks, arranged for a running process.

Per letter, over the bytes given: parse the PDF, the /ByteRange coverage and digest, the CMS integrity (message
digest, content type, signing-certificate attribute, algorithm policy, the signature itself). Per certificate and
trust context, cached: pyHanko's path validation to the bureau CA (the result is the time window in which the path
is valid, so the signing moment of each letter is still checked against it). Nothing about a letter is cached.

No database here: `TrustContext.build` takes the CA rows; signing.selectors decides when they changed.
"""
import asyncio
import binascii
import datetime
import io
import re
from dataclasses import dataclass, field
from functools import lru_cache

from asn1crypto import core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils import generic, misc
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import (
    CMSExtractionError,
    MultivaluedAttributeError,
    NonexistentAttributeError,
    check_ess_certid,
    extract_certificate_info,
    find_unique_cms_attribute,
)
from pyhanko.sign.validation import generic_cms
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko.sign.validation.utils import DEFAULT_ALGORITHM_USAGE_POLICY, extract_message_digest
from pyhanko_certvalidator import ValidationContext, find_valid_path
from pyhanko_certvalidator.errors import PathError, ValidationError
from pyhanko_certvalidator.sig_validate import DefaultSignatureValidator, SignatureValidationContext

PDF_SUBFILTERS = {SigSeedSubFilter.ADOBE_PKCS7_DETACHED.value, SigSeedSubFilter.PADES.value,
                  SigSeedSubFilter.PBAD_PADES.value}  # what validate_pdf_signature accepts
CHAINS_PER_CONTEXT = 4096


# --- Hex strings ---------------------------------------------------------------------------
_original_read_hex_string = generic.read_hex_string_from_stream


def _read_hex_string(stream):
    """pyHanko's hex-string reader, minus the byte-by-byte loop (the CMS in /Contents is ~8,000 hex digits).

    Same result and same stream position; anything unusual (a comment, a bad character, the end of the stream)
    goes back to pyHanko's own reader, which then gives its own answer or error.
    """
    start = stream.tell()
    data = stream.read(16384)
    while (end := data.find(b">")) < 0 and (chunk := stream.read(16384)):
        data += chunk
    digits = data[1:max(end, 0)].translate(None, misc.PDF_WHITESPACE)
    if end < 0 or digits.translate(None, generic.HEX_DIGITS):
        stream.seek(start)
        return _original_read_hex_string(stream)
    stream.seek(start + end + 1)
    return generic.pdf_string(binascii.unhexlify(digits + b"0" * (len(digits) % 2)))


# --- Names ----------------------------------------------------------------------------------
_original_read_name = generic.NameObject.read_from_stream
# A name without escapes: "/" and regular characters (printable ASCII but the delimiters and "#").
_PLAIN_NAME = re.compile(rb"/[^\x00-\x20\x7f-\xff()<>\[\]{}/%#]*")
_NAME_ENDS = misc.PDF_WHITESPACE + misc.PDF_DELIMITERS
_NAME_CHUNK = 128


def _read_name(stream):
    """pyHanko's name reader, minus the byte-by-byte loops (a letter's objects hold some ninety names).

    Same result and same stream position for a plain name; anything else (an escape, a byte that must be escaped,
    a name longer than the chunk) goes back to pyHanko's own reader, which then gives its own answer or error.
    """
    start = stream.tell()
    data = stream.read(_NAME_CHUNK)
    name = _PLAIN_NAME.match(data)
    end = name.end() if name else 0
    if name is None or (end < len(data) and data[end] not in _NAME_ENDS) or end == _NAME_CHUNK:
        stream.seek(start)
        return _original_read_name(stream)
    stream.seek(start + end)
    return generic.NameObject(name.group().decode("ascii"))


# --- String literals --------------------------------------------------------------------------
_original_read_string_literal = generic._read_string_literal_bytes
# A literal without nested parentheses or line continuations, with the escapes pyHanko's reader accepts.
_PLAIN_LITERAL = re.compile(
    rb"\(((?:[^\\()]|\\(?:[0-7]{3}|[0-7]{1,2}(?![0-9])|[nrtbf()\\ /%<>\[\]#_&$]))*)\)")
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)
_ESCAPED = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(escape) -> bytes:
    code = escape.group(1)
    return bytes((int(code, 8),)) if code[:1].isdigit() else _ESCAPED.get(code, code)


def _read_string_literal(stream) -> bytes:
    """pyHanko's string literal reader (pyHanko's writer escapes punctuation as octal: `(record\\056json)`), minus
    the byte-by-byte loop. Same bytes and position; nested parentheses, line continuations, an unknown escape or an
    octal value over 255 go back to pyHanko's own reader, which then gives its own answer or error."""
    start = stream.tell()
    data = stream.read(4096)
    literal = _PLAIN_LITERAL.match(data)
    try:
        text = _ESCAPE.sub(_unescape, literal.group(1)) if literal else None
    except ValueError:
        text = None
    if text is None:
        stream.seek(start)
        return _original_read_string_literal(stream)
    stream.seek(start + literal.end())
    return text


def install_fast_readers() -> None:
    generic.read_hex_string_from_stream = _read_hex_string
    generic.NameObject.read_from_stream = staticmethod(_read_name)
    generic._read_string_literal_bytes = _read_string_literal


install_fast_readers()


# --- Trust: the bureau's CA certificates and their revocation lists --------------------------------------------
@dataclass(frozen=True)
class TrustAnchor:
    pk: int
    fingerprint: str
    pem: str
    certificate: x509.Certificate
    asn1: asn1_x509.Certificate
    crl_number: int
    revoked: dict[int, datetime.datetime]  # certificate serial -> revoked no later than, from the CA-signed CRL


@dataclass(eq=False)
class TrustContext:
    """The CA certificates and CRLs as one version; a new CRL (or CA) makes a new context with empty caches."""

    version: tuple
    anchors: tuple[TrustAnchor, ...]
    _chains: dict = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, rows) -> "TrustContext":
        """rows: (pk, fingerprint, cert_pem, crl_pem, crl_number) of every CA. A certificate whose fingerprint does
        not match its row, or a CRL not signed by its CA, is not used."""
        rows = list(rows)
        anchors = (_anchor(*row) for row in rows)
        return cls(version=tuple((pk, fingerprint, number) for pk, fingerprint, _, _, number in rows),
                   anchors=tuple(anchor for anchor in anchors if anchor is not None))

    def anchor(self, *, pk: int | None = None, fingerprint: str | None = None) -> TrustAnchor | None:
        return next((a for a in self.anchors if a.pk == pk or a.fingerprint == fingerprint), None)

    def revoked_at(self, *, ca_pk: int, serial: int) -> datetime.datetime | None:
        anchor = self.anchor(pk=ca_pk)
        return anchor.revoked.get(serial) if anchor else None

    def chain_window(self, signer: asn1_x509.Certificate,
                     others: list[asn1_x509.Certificate]) -> tuple[datetime.datetime, datetime.datetime] | None:
        """When the signer's certificate path to one of these CAs is valid (pyHanko's path validation and key
        usage), or None if never. Everything but the validity periods is independent of time, so the answer is
        computed once per certificate (and the certificates that came with it) in this context."""
        key = (signer.sha256, tuple(other.sha256 for other in others))
        if key not in self._chains:
            if len(self._chains) >= CHAINS_PER_CONTEXT:
                self._chains.clear()
            self._chains[key] = self._chain_window(signer, others)
        return self._chains[key]

    def _chain_window(self, signer, others):
        certificate = x509.load_der_x509_certificate(signer.dump())
        for anchor in self.anchors:
            if anchor.certificate.subject != certificate.issuer:
                continue
            start = max(certificate.not_valid_before_utc, anchor.certificate.not_valid_before_utc)
            end = min(certificate.not_valid_after_utc, anchor.certificate.not_valid_after_utc)
            if start < end and asyncio.run(self._path_valid_at(signer, others, start)):
                return start, end
        return None

    async def _path_valid_at(self, signer, others, moment) -> bool:
        """What pyHanko's validate_pdf_signature does for trust (generic_cms.validate_cert_usage), at `moment`."""
        context = ValidationContext(trust_roots=[a.asn1 for a in self.anchors], allow_fetching=False,
                                    revocation_mode="soft-fail", moment=moment)
        context.certificate_registry.register_multiple(others)
        try:
            path = await find_valid_path(signer, context.path_builder.async_build_paths_lazy(signer), context)
            if path.pkix_len > 0:
                PdfSignatureStatus.default_usage_constraints().validate(signer)
            return True
        except (PathError, ValidationError, ValueError):
            return False

    def trusted(self, facts: "SignatureFacts", at: datetime.datetime) -> bool:
        """pyHanko's `trusted`: the signature is sound, its algorithms allowed, and the path valid at `at`."""
        if not (facts.intact and facts.algorithms_allowed):
            return False
        window = self.chain_window(facts.signer, facts.others)
        return window is not None and window[0] <= at <= window[1]


def _anchor(pk: int, fingerprint: str, cert_pem: str, crl_pem: str, crl_number: int) -> TrustAnchor | None:
    from cryptography.hazmat.primitives import hashes

    certificate = x509.load_pem_x509_certificate(cert_pem.encode("ascii"))
    if certificate.fingerprint(hashes.SHA256()).hex() != fingerprint:
        return None
    der = certificate.public_bytes(serialization.Encoding.DER)
    revoked = {}
    if crl_pem:
        crl = x509.load_pem_x509_crl(crl_pem.encode("ascii"))
        if crl.is_signature_valid(certificate.public_key()):
            # A CRL names whole seconds: the revocation happened before the end of the second it names.
            revoked = {entry.serial_number: entry.revocation_date_utc + datetime.timedelta(seconds=1) for entry in crl}
    return TrustAnchor(pk=pk, fingerprint=fingerprint, pem=cert_pem, certificate=certificate,
                       asn1=asn1_x509.Certificate.load(der), crl_number=crl_number, revoked=revoked)


# --- One letter ------------------------------------------------------------------------------
@dataclass
class SignatureFacts:
    """What the bytes of a letter say about its one signature (nothing here depends on the database)."""

    intact: bool  # the CMS signature verifies and its message digest is the digest of the signed byte range
    algorithms_allowed: bool  # pyHanko's default algorithm policy (no MD5 / SHA-1)
    whole: bool  # the signed byte range is the whole file (no incremental update after signing)
    signer: asn1_x509.Certificate
    others: list
    attachments: dict[str, bytes]
    self_reported_at: datetime.datetime | None

    @property
    def fingerprint(self) -> str:
        return self.signer.sha256.hex()


class LetterUnreadable(Exception):
    """Not a PDF, or not one signature we can read: the message says which (for the person who asked)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def signature_facts(pdf: bytes) -> SignatureFacts:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - anything unreadable is simply not a valid letter
        raise LetterUnreadable("unreadable") from exc
    if len(signatures) != 1:
        raise LetterUnreadable("no_signature")
    embedded = signatures[0]
    try:
        if embedded.sig_object_type != "/Sig" or embedded.sig_object.get("/SubFilter") not in PDF_SUBFILTERS:
            raise SignatureValidationError("not a PAdES or PKCS#7 detached signature")
        embedded.compute_integrity_info(skip_diff=True)
        certificates = extract_certificate_info(embedded.signed_data)
        signer_info = embedded.signer_info
        return SignatureFacts(
            intact=_cms_intact(embedded, certificates.signer_cert),
            algorithms_allowed=_algorithms_allowed(signer_info["signature_algorithm"].dump(),
                                                   signer_info["digest_algorithm"].dump(),
                                                   certificates.signer_cert.dump()),
            whole=embedded.coverage == SignatureCoverageLevel.ENTIRE_FILE,
            signer=certificates.signer_cert, others=list(certificates.other_certs),
            attachments=attachments_of(reader), self_reported_at=embedded.self_reported_timestamp,
        )
    except CMSExtractionError as exc:
        raise LetterUnreadable("unverifiable", "signer certificate not included in signature") from exc
    except Exception as exc:  # noqa: BLE001 - a malformed signature (asn1crypto raises several kinds) is not valid
        raise LetterUnreadable("unverifiable", str(exc)[:120]) from exc


def _cms_intact(embedded, cert: asn1_x509.Certificate) -> bool:
    """pyHanko's validate_sig_integrity (as cms_basic_validation calls it) for a detached signature with signed
    attributes: both the digest of the signed byte range and the signature over the attributes must match."""
    signer_info, signed_data = embedded.signer_info, embedded.signed_data
    if signed_data["encap_content_info"]["content"] is not core.VOID:
        raise SignatureValidationError("CMS structural error: detached signatures should not have encapsulated data")
    if signer_info["signed_attrs"] is core.VOID:
        raise SignatureValidationError("a PAdES signature has signed attributes")
    signed_attrs = signer_info["signed_attrs"].untag()
    generic_cms.validate_algorithm_protection(
        signed_attrs, claimed_digest_algorithm_obj=signer_info["digest_algorithm"],
        claimed_signature_algorithm_obj=signer_info["signature_algorithm"], claimed_mac_algorithm_obj=None)
    certid = generic_cms.get_signing_cert_attr(signed_attrs)
    if certid is not None and not _ess_matches(cert.dump(), certid["certs"][0].dump(), type(certid["certs"][0])):
        raise SignatureValidationError("signing certificate attribute does not match the signer's certificate")
    try:
        content_type = find_unique_cms_attribute(signed_attrs, "content_type").native
    except (NonexistentAttributeError, MultivaluedAttributeError) as exc:
        raise SignatureValidationError("content type missing or repeated") from exc
    if content_type != signed_data["encap_content_info"]["content_type"].native:
        raise SignatureValidationError("content type does not match")
    if extract_message_digest(signer_info) != embedded.compute_digest():
        return False
    try:
        DefaultSignatureValidator().validate_signature(
            signer_info["signature"].native, signed_attrs.dump(), cert.public_key,
            signer_info["signature_algorithm"],
            context=SignatureValidationContext(contextual_md_algorithm=signer_info["digest_algorithm"]["algorithm"]
                                               .native, prehashed=False))
        return True
    except InvalidSignature:
        return False


@lru_cache(maxsize=256)
def _algorithms_allowed(signature_algorithm: bytes, digest_algorithm: bytes, cert: bytes) -> bool:
    """pyHanko's default algorithm policy (no weak hashes); it does not depend on time, so it is kept by value."""
    from asn1crypto import algos, cms

    signature = cms.SignedDigestAlgorithm.load(signature_algorithm)
    digest = cms.DigestAlgorithm.load(digest_algorithm)
    public_key = asn1_x509.Certificate.load(cert).public_key
    policy = DEFAULT_ALGORITHM_USAGE_POLICY
    return bool(policy.signature_algorithm_allowed(signature, moment=None, public_key=public_key)
                and policy.digest_algorithm_allowed(digest, moment=None)
                and policy.digest_combination_allowed(
                    signature_algo=signature, message_digest_algo=algos.DigestAlgorithm(
                        {"algorithm": digest["algorithm"].native}), moment=None))


@lru_cache(maxsize=256)
def _ess_matches(cert: bytes, certid: bytes, certid_type) -> bool:
    """The signing-certificate attribute names this certificate (hash, issuer and serial), kept by value."""
    return bool(check_ess_certid(asn1_x509.Certificate.load(cert), certid_type.load(certid)))


def attachments_of(reader) -> dict[str, bytes]:
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        found = {}
        for i in range(0, len(names), 2):
            spec = names[i + 1].get_object()
            found[str(names[i])] = spec["/EF"]["/F"].get_object().data
        return found
    except Exception:  # noqa: BLE001 - a letter without attachments just has none
        return {}


def caches_clear() -> None:
    _algorithms_allowed.cache_clear()
    _ess_matches.cache_clear()
