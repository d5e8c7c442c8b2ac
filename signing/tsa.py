"""Trusted time for every sealing: the time-stamping authority (RFC 3161) asked, and the project's own one.

`timestamper()` is pyHanko's HTTPTimeStamper for SIGNING_TSA_URL (production: the bureau's or the national TSA), or,
when no URL is configured (embedded profile, tests), `LocalTimeStamper`, which hands the same DER TimeStampReq to
this module's TSA in the process. `POST /tsa/` (application/timestamp-query) serves that TSA over HTTP, so
SIGNING_TSA_URL may also name a service of the project. The TSA key is P-256, encrypted at rest like the seals'
(signing.crypto); the bureau's CA issues its certificate with the critical extendedKeyUsage timeStamping
(RFC 3161 §2.3).

pyHanko's DummyTimeStamper is documented as a test device (RSA keys only, another vendor's policy, every request
granted unchecked), so the token is built here with asn1crypto and signed with cryptography.
"""
import asyncio
import datetime
import hashlib
import secrets

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError

from core.errors import ServiceError
from signing import crypto
from signing.models import TimestampAuthority

POLICY = "2.25.236126382819891131915153707854068083839"  # this TSA's policy: a UUID OID (X.667), no registry needed
VALIDITY_DAYS = 3650
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64}  # the message imprints this TSA accepts


class TsaUnavailable(ServiceError):
    status_code = 503
    code = "tsa_unavailable"


# --- The TSA's certificate and key ---------------------------------------------------------------
def _certificate(*, ca_key, ca_cert: x509.Certificate, public_key) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.SIGNING_BUREAU_NAME),
        x509.NameAttribute(NameOID.COMMON_NAME, crypto.name_fit(f"{settings.SIGNING_BUREAU_NAME}时间戳服务", 64)),
    ])
    usage = x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False)
    return (
        x509.CertificateBuilder().subject_name(name).issuer_name(ca_cert.subject).public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(min(now + datetime.timedelta(days=VALIDITY_DAYS), ca_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        # RFC 3161 §2.3: the TSA's certificate has exactly this one purpose, marked critical.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


@transaction.atomic
def tsa_issue(*, replace: bool = False) -> TimestampAuthority:
    """The active local TSA, issued by the active CA when there is none (or `replace`: a new key and certificate;
    tokens of the old one still verify, its certificate chains to the same CA)."""
    from signing.services import ca_active, ca_private_key

    current = TimestampAuthority.objects.select_for_update().filter(active=True).first()
    if current is not None and not replace:
        return current
    ca = ca_active()
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(ca_key=ca_private_key(ca), ca_cert=crypto.cert_from_pem(ca.cert_pem),
                        public_key=key.public_key())
    if current is not None:
        TimestampAuthority.objects.filter(pk=current.pk).update(active=False)
    return TimestampAuthority.objects.create(ca=ca, cert_pem=crypto.cert_to_pem(cert),
                                             key_pem=crypto.private_key_to_encrypted_pem(key),
                                             fingerprint=crypto.cert_fingerprint(cert))


# --- Answering a request -----------------------------------------------------------------------------
class _Rejection(core.Sequence):
    """TimeStampResp without its token (asn1crypto declares the token mandatory; RFC 3161 has it OPTIONAL)."""

    _fields = [("status", tsp.PKIStatusInfo)]


def _rejection(failure: str) -> bytes:
    return _Rejection({"status": {"status": "rejection", "fail_info": tsp.PKIFailureInfo({failure})}}).dump()


def _request_problem(req: tsp.TimeStampReq) -> str | None:
    """The RFC 3161 failure a request earns, or None."""
    imprint = req["message_imprint"]
    size = DIGEST_SIZES.get(imprint["hash_algorithm"]["algorithm"].native)
    if size is None:
        return "bad_alg"
    if req["version"].native != "v1" or len(imprint["hashed_message"].native) != size:
        return "bad_request"
    if req["req_policy"].native not in (None, POLICY):
        return "unaccepted_policy"
    if req["extensions"].native:
        return "unaccepted_extensions"
    return None


def _tst_info(req: tsp.TimeStampReq, cert: asn1_x509.Certificate, now: datetime.datetime) -> tsp.TSTInfo:
    info = {"version": "v1", "policy": POLICY, "message_imprint": req["message_imprint"],
            "serial_number": secrets.randbits(127), "gen_time": now.astimezone(datetime.UTC),
            "accuracy": {"seconds": 1},
            "tsa": asn1_x509.GeneralName(name="directory_name", value=cert.subject)}
    if req["nonce"].native is not None:
        info["nonce"] = req["nonce"]
    return tsp.TSTInfo(info)


def _signed_attributes(info_der: bytes, cert: asn1_x509.Certificate) -> cms.CMSAttributes:
    # ESSCertIDv2 (RFC 5816) with the default SHA-256 left out, as DER wants.
    cert_id = tsp.SigningCertificateV2({"certs": [{"cert_hash": cert.sha256, "issuer_serial": {
        "issuer": [asn1_x509.GeneralName(name="directory_name", value=cert.issuer)],
        "serial_number": cert.serial_number}}]})
    return cms.CMSAttributes([
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "message_digest", "values": [hashlib.sha256(info_der).digest()]},
        {"type": "signing_certificate_v2", "values": [cert_id]},
    ])


def respond(request: bytes, *, cert_pem: str, key, now: datetime.datetime) -> bytes:
    """DER TimeStampResp to a DER TimeStampReq: a token signed with `key` (P-256), or a rejection with its reason."""
    try:
        req = tsp.TimeStampReq.load(request, strict=True)
        problem = _request_problem(req)
    except (ValueError, TypeError, KeyError):
        return _rejection("bad_data_format")
    if problem:
        return _rejection(problem)
    cert = asn1_x509.Certificate.load(crypto.cert_from_pem(cert_pem).public_bytes(serialization.Encoding.DER))
    info_der = _tst_info(req, cert, now).dump()
    attributes = _signed_attributes(info_der, cert)
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}},
        "digest_algorithm": {"algorithm": "sha256"}, "signed_attrs": attributes,
        "signature_algorithm": {"algorithm": "sha256_ecdsa"},
        "signature": key.sign(attributes.dump(), ec.ECDSA(hashes.SHA256())),
    })
    signed = cms.SignedData({
        "version": "v3", "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": "tst_info", "content": cms.ParsableOctetString(info_der)},
        "certificates": [cert] if req["cert_req"].native else [], "signer_infos": [signer],
    })
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed})
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token}).dump()


def local_respond(request: bytes) -> bytes:
    """The active local TSA's answer (POST /tsa/)."""
    authority = tsa_issue()
    return respond(request, cert_pem=authority.cert_pem, key=crypto.private_key_from_encrypted_pem(authority.key_pem),
                   now=datetime.datetime.now(datetime.UTC))


# --- The client every sealing uses -------------------------------------------------------------------
class LocalTimeStamper(TimeStamper):
    """pyHanko's TimeStamper over the local TSA, in the process: the request and the answer are the DER an HTTP TSA
    exchanges. The key is read here, outside pyHanko's event loop (no database there). `clock`: tests only."""

    def __init__(self, authority: TimestampAuthority, *, clock=None):
        super().__init__()
        self.cert_pem = authority.cert_pem
        self.key = crypto.private_key_from_encrypted_pem(authority.key_pem)
        self.clock = clock or (lambda: datetime.datetime.now(datetime.UTC))

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(respond(req.dump(), cert_pem=self.cert_pem, key=self.key, now=self.clock()))


def timestamper() -> TimeStamper:
    """The configured TSA's client (SIGNING_TSA_URL), else the local TSA's (issued on first use)."""
    if settings.SIGNING_TSA_URL:
        return HTTPTimeStamper(settings.SIGNING_TSA_URL, timeout=settings.SIGNING_TSA_TIMEOUT)
    return LocalTimeStamper(tsa_issue())


def unavailable() -> TsaUnavailable:
    return TsaUnavailable(_("时间戳服务暂时无法使用，未能盖章，请稍后再试。"))


def token_over(signature_value: bytes, *, stamper: TimeStamper | None = None) -> bytes:
    """A DER RFC 3161 token (ContentInfo) over the SHA-256 of a signature value: the `timeStamp` of an
    SES_Signature (GB/T 38540: the time stamp is over the signature value)."""
    stamper = stamper or timestamper()
    try:
        token = asyncio.run(stamper.async_timestamp(hashlib.sha256(signature_value).digest(), "sha256"))
    except (TimestampRequestError, OSError) as exc:
        raise unavailable() from exc
    return token.dump()


def tsa_roots_pem() -> bytes | None:
    """The trusted TSA roots (SIGNING_TSA_ROOTS, a PEM file), or None: the bureau's CA certificates."""
    if not settings.SIGNING_TSA_ROOTS:
        return None
    with open(settings.SIGNING_TSA_ROOTS, "rb") as handle:
        return handle.read()
