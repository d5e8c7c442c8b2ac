"""The one verifier of a sealed letter's PDF signature, on pyHanko's public validation API.

The API and the /verify/ page (signing.selectors.letter_verify) and the offline verifier (signing/verify_offline.py)
all call `pdf_verdict`: the same bytes, CA certificates and revocation lists give the same verdict and the same
reason, the first check that failed. No Django and no database here (the offline verifier imports this module alone).
"""
import datetime
import io
from dataclasses import dataclass, field
from enum import StrEnum

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.ades.report import AdESFailure, AdESIndeterminate
from pyhanko.sign.general import CMSExtractionError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import NO_REVOCATION, REQUIRE_REVINFO, CertRevTrustPolicy

from signing import timestamps


def gettext_noop(text: str) -> str:
    """Marks a message for makemessages; the caller translates it (Django online, stdlib gettext offline)."""
    return text


class Reason(StrEnum):
    """Why a check failed (or "ok"): the machine code beside the plain-language message."""

    OK = "ok"
    UNREADABLE = "unreadable"
    NO_SIGNATURE = "no_signature"
    SIGNATURE_DAMAGED = "signature_damaged"
    ALTERED = "altered"
    INCREMENTAL_UPDATE = "incremental_update"
    UNTRUSTED_ROOT = "untrusted_root"
    CERTIFICATE_INVALID = "certificate_invalid"
    CERTIFICATE_EXPIRED = "certificate_expired"
    CERTIFICATE_REVOKED = "certificate_revoked"
    UNTRUSTED_TIME = "untrusted_time"
    REVOCATION_UNKNOWN = "revocation_unknown"
    CRL_STALE = "crl_stale"
    CRL_INVALID = "crl_invalid"
    TIMESTAMP_INVALID = "timestamp_invalid"
    TIMESTAMP_UNTRUSTED = "timestamp_untrusted"
    TIMESTAMP_MISSING = "timestamp_missing"
    TIME_MISMATCH = "time_mismatch"
    NOT_CHECKED = "not_checked"


# What a person reads, per failed check (Chinese source strings; English in locale/en).
MESSAGES = {
    Reason.UNREADABLE: gettext_noop("无法读取该文件：它不是有效的 PDF 文件。"),
    Reason.NO_SIGNATURE: gettext_noop("文件中没有找到决定书的数字签名。"),
    Reason.SIGNATURE_DAMAGED: gettext_noop("文件中的数字签名已损坏或被改动，无法核验。"),
    Reason.ALTERED: gettext_noop("文件在盖章后被改动过：内容与签名不符。"),
    Reason.INCREMENTAL_UPDATE: gettext_noop("盖章之后文件又被追加修改，追加的内容不受签名保护。"),
    Reason.UNTRUSTED_ROOT: gettext_noop("签章证书不是医保局签发的（不受信任的根证书）。"),
    Reason.CERTIFICATE_INVALID: gettext_noop("签章证书不符合要求（证书用途或证书链有问题）。"),
    Reason.CERTIFICATE_EXPIRED: gettext_noop("盖章时签章证书不在有效期内（已过期或尚未生效）。"),
    Reason.CERTIFICATE_REVOKED: gettext_noop("盖章时签章证书已被吊销。"),
    Reason.UNTRUSTED_TIME: gettext_noop("签章证书已被吊销，且没有可信的盖章时间（账本记录或时间戳）证明盖章早于吊销。"),
    Reason.REVOCATION_UNKNOWN: gettext_noop("没有医保局的证书吊销列表，无法确认签章证书未被吊销。"),
    Reason.CRL_STALE: gettext_noop("证书吊销列表已过下次更新时间，不能再作依据；请获取最新的吊销列表。"),
    Reason.CRL_INVALID: gettext_noop("证书吊销列表不是医保局根证书签发的。"),
    Reason.TIMESTAMP_INVALID: gettext_noop("签名所带的时间戳无效：时间戳签名不成立，或它不是对这个签名值加盖的。"),
    Reason.TIMESTAMP_UNTRUSTED: gettext_noop("签名所带的时间戳不是受信任的时间戳服务机构签发的。"),
    Reason.TIMESTAMP_MISSING: gettext_noop("签名没有可信时间戳：自 2026 年 12 月 2 日起盖章的决定书都应带有时间戳。"),
    Reason.TIME_MISMATCH: gettext_noop("签章者自填的签署时间与时间戳的时间相差过大。"),
    Reason.NOT_CHECKED: gettext_noop("前一项未通过，此项未检查。"),
}
PASSED = {
    "intact": gettext_noop("签名覆盖整个文件，文件自盖章后未被改动。"),
    "chain": gettext_noop("签章证书由医保局根证书签发。"),
    "certificate": gettext_noop("盖章时签章证书在有效期内，未被吊销。"),
}
# An old letter (before timestamps.REQUIRED_SINCE) without a token: valid, but said plainly whose time was used.
NO_TRUSTED_TIME = gettext_noop("注意：该文件没有时间戳服务机构的可信时间，盖章时间以医保局账本为准。")
REVOKED_LATER = gettext_noop("盖章时签章证书有效；该印章已于 %(when)s 吊销，此前盖章的决定书仍然有效。")
PDF_CHECKS = ("intact", "chain", "certificate")  # the order in which they are reported and the first failure found

_REVOKED = {AdESFailure.REVOKED, AdESIndeterminate.REVOKED_NO_POE, AdESIndeterminate.REVOKED_CA_NO_POE}
_OUT_OF_TIME = {AdESIndeterminate.EXPIRED, AdESIndeterminate.NOT_YET_VALID, AdESFailure.NOT_YET_VALID,
                AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED}


# --- Trust: the bureau's CA certificates and revocation lists, one version ----------------------------
@dataclass(frozen=True)
class Anchor:
    pk: int | None
    fingerprint: str
    pem: str
    certificate: asn1_x509.Certificate
    crl: asn1_crl.CertificateList | None
    crl_signed: bool = False  # the CRL carries this CA's valid signature


@dataclass(eq=False)
class TrustContext:
    """The CA certificates and CRLs, parsed once per version (a new CA or CRL number makes a new context).

    A ValidationContext is made per letter from it, because pyHanko fixes the validation moment per context and a
    letter is judged at its own signing time (a seal revoked or expired later leaves earlier letters valid)."""

    version: tuple
    anchors: tuple[Anchor, ...]
    tsa_roots: tuple = ()  # roots a timestamp token's TSA must chain to; empty: the CA certificates
    _roots: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self._roots = [anchor.certificate for anchor in self.anchors]
        self.tsa_roots = tuple(self.tsa_roots) or tuple(self._roots)

    @classmethod
    def build(cls, rows, tsa_roots_pem: bytes | None = None) -> "TrustContext":
        """rows: (pk, fingerprint, cert_pem, crl_pem, crl_number) of every CA; a row whose certificate does not
        have its fingerprint is left out. `tsa_roots_pem`: the trusted TSA roots (PEM), else the CAs."""
        rows = list(rows)
        anchors = (_anchor(pk, fingerprint, cert_pem, crl_pem) for pk, fingerprint, cert_pem, crl_pem, _ in rows)
        return cls(version=tuple((pk, fingerprint, number) for pk, fingerprint, _, _, number in rows),
                   anchors=tuple(anchor for anchor in anchors if anchor is not None),
                   tsa_roots=load_certificates(tsa_roots_pem))

    @classmethod
    def from_pem(cls, ca_pem: bytes, crl_pem: bytes | None = None,
                 tsa_roots_pem: bytes | None = None) -> "TrustContext":
        """The offline verifier's: one CA certificate, optionally its revocation list and the TSA roots."""
        certificate = load_certificate(ca_pem)
        anchor = _anchor(None, certificate.sha256.hex(), ca_pem.decode("ascii"), (crl_pem or b"").decode("ascii"))
        return cls(version=(certificate.sha256.hex(),), anchors=(anchor,), tsa_roots=load_certificates(tsa_roots_pem))

    def anchor(self, *, pk: int | None = None, fingerprint: str | None = None) -> Anchor | None:
        return next((a for a in self.anchors if a.pk == pk or a.fingerprint == fingerprint), None)

    def revoked_at(self, certificate: asn1_x509.Certificate) -> datetime.datetime | None:
        """When the issuer's revocation list says the certificate was revoked (any time), for the reader's note."""
        for anchor in self.anchors:
            if anchor.crl is None or anchor.certificate.subject != certificate.issuer:
                continue
            for entry in anchor.crl["tbs_cert_list"]["revoked_certificates"]:
                if entry["user_certificate"].native == certificate.serial_number:
                    return entry["revocation_date"].native
        return None

    def crl_problem(self, certificate: asn1_x509.Certificate, now: datetime.datetime) -> Reason | None:
        """Why the issuer's CRL cannot show, now, that the certificate is not revoked (none, not the CA's, stale)."""
        anchor = next((a for a in self.anchors if a.certificate.subject == certificate.issuer), None)
        if anchor is None or anchor.crl is None:
            return Reason.REVOCATION_UNKNOWN
        if not anchor.crl_signed:
            return Reason.CRL_INVALID
        next_update = anchor.crl["tbs_cert_list"]["next_update"].native
        return Reason.CRL_STALE if next_update is None or next_update <= now else None

    def validation_context(self, moment: datetime.datetime, *, revocation: bool = True) -> ValidationContext:
        """Seal certificates name no CRL distribution point, so the CRL is required outright (`revocation`; without a
        usable CRL the caller judges the rest and then fails the certificate: crl_problem). retroactive_revinfo: the
        CRL is usually issued after the letter's trusted time; the bureau's CA never puts a certificate on hold, so a
        revocation it lists is final and applies from its revocation date on."""
        crls = [anchor.crl for anchor in self.anchors if anchor.crl is not None and anchor.crl_signed]
        policy = CertRevTrustPolicy(REQUIRE_REVINFO if revocation and crls else NO_REVOCATION,
                                    retroactive_revinfo=True)
        return ValidationContext(trust_roots=self._roots, crls=crls, allow_fetching=False, moment=moment,
                                 revinfo_policy=policy)


def load_certificate(data: bytes) -> asn1_x509.Certificate:
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def load_certificates(data: bytes | None) -> tuple[asn1_x509.Certificate, ...]:
    """Every certificate of a PEM bundle (none for None)."""
    if not data:
        return ()
    return tuple(asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True))


def _anchor(pk, fingerprint: str, cert_pem: str, crl_pem: str) -> Anchor | None:
    certificate = load_certificate(cert_pem.encode("ascii"))
    if certificate.sha256.hex() != fingerprint:
        return None
    crl, signed = None, False
    if crl_pem:
        try:
            _, _, der = pem.unarmor(crl_pem.encode("ascii"))
            crl = asn1_crl.CertificateList.load(der)
            issuer_key = x509.load_der_x509_certificate(certificate.dump()).public_key()
            signed = crl.issuer == certificate.subject and x509.load_der_x509_crl(der).is_signature_valid(issuer_key)
        except ValueError:  # an unreadable CRL is no CRL
            crl, signed = None, False
    return Anchor(pk=pk, fingerprint=fingerprint, pem=cert_pem, certificate=certificate, crl=crl, crl_signed=signed)


# --- One letter ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    code: Reason


@dataclass
class Verdict:
    """What the bytes of a letter and the trust context say about its PDF signature."""

    checks: list[Check]
    signer: asn1_x509.Certificate | None = None
    signed_at: datetime.datetime | None = None  # what the signer wrote: shown, never judged by
    trusted_at: datetime.datetime | None = None  # the time judged by: a ledger entry's or a timestamp token's
    attachments: dict[str, bytes] = field(default_factory=dict)
    revoked_at: datetime.datetime | None = None  # from the CRL, also when the revocation came after the signing
    stamp: timestamps.Stamp | None = None  # the signature timestamp (PAdES B-T), None when the letter has none

    @property
    def valid(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def reason(self) -> Reason:
        return next((check.code for check in self.checks if not check.ok), Reason.OK)

    @property
    def intact(self) -> bool:
        return self.checks[0].ok

    @property
    def fingerprint(self) -> str | None:
        return self.signer.sha256.hex() if self.signer is not None else None


def _failed(name: str, code: Reason, **facts) -> Verdict:
    """`name` failed with `code`; the checks after it were not made."""
    checks = []
    for check in PDF_CHECKS:
        if checks and not checks[-1].ok:
            checks.append(Check(check, False, Reason.NOT_CHECKED))
        else:
            checks.append(Check(check, check != name, Reason.OK if check != name else code))
    return Verdict(checks=checks, **facts)


def pdf_verdict(pdf: bytes, trust: TrustContext, *, trusted_at: datetime.datetime | None = None,
                now: datetime.datetime | None = None) -> Verdict:
    """The letter's one signature: intact over the whole file, chained to a bureau CA, its certificate valid and not
    revoked at a trusted time: the signature's own timestamp token (genTime, PAdES B-T), else `trusted_at` (the
    bureau's ledger entry for these bytes), else only `now`. The time the signer wrote is never believed (a thief
    with a revoked seal's key back-dates it), so a revoked certificate without a trusted time fails (untrusted_time);
    a token that does not verify, a letter since timestamps.REQUIRED_SINCE without one, a claimed time far from the
    token's are refused (signing/timestamps.py); without a current CRL signed by the CA nobody can say it was not
    revoked (revocation_unknown, crl_stale, crl_invalid)."""
    now = now or datetime.datetime.now(datetime.UTC)
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except Exception:  # noqa: BLE001 - anything unreadable is simply not a letter
        return _failed("intact", Reason.UNREADABLE)
    if not signatures:
        return _failed("intact", Reason.NO_SIGNATURE)
    embedded = signatures[0]
    known_at = trusted_at
    try:
        crl_problem = trust.crl_problem(embedded.signer_cert, now)
        moment = _stated_stamp_time(embedded) or trusted_at or now
        status = _validated(embedded, trust, moment, crl_problem, now)
        stamp = timestamps.stamp_of(status.timestamp_validity)
        if stamp is not None and stamp.at is not None:
            trusted_at = stamp.at
            if stamp.at != moment:
                status = _validated(embedded, trust, stamp.at, crl_problem, now)
    except (SignatureValidationError, CMSExtractionError, ValueError, KeyError, TypeError):
        return _failed("intact", Reason.SIGNATURE_DAMAGED)
    facts = {"signer": status.signing_cert, "signed_at": embedded.self_reported_timestamp, "trusted_at": trusted_at,
             "revoked_at": trust.revoked_at(status.signing_cert), "stamp": stamp}
    if not (status.intact and status.valid):
        return _failed("intact", Reason.ALTERED, **facts)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return _failed("intact", Reason.INCREMENTAL_UPDATE, **facts)
    facts["attachments"] = attachments_of(reader)
    problem = status.trust_problem_indic
    if problem == AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        return _failed("chain", Reason.UNTRUSTED_ROOT, **facts)
    if stamp is not None and stamp.code != timestamps.OK:  # a token that does not hold: judged by nothing else
        return _failed("certificate", Reason(stamp.code), **facts)
    if problem in _REVOKED:
        return _failed("certificate", Reason.CERTIFICATE_REVOKED if trusted_at else Reason.UNTRUSTED_TIME, **facts)
    if problem in _OUT_OF_TIME:
        return _failed("certificate", Reason.CERTIFICATE_EXPIRED, **facts)
    if not status.trusted:
        return _failed("chain", Reason.CERTIFICATE_INVALID, **facts)
    if crl_problem is not None:
        return _failed("certificate", crl_problem, **facts)
    if trusted_at is None and facts["revoked_at"] is not None:  # listed, even for later: nothing shows "before"
        return _failed("certificate", Reason.UNTRUSTED_TIME, **facts)
    if time := timestamps.time_problem(stamp=stamp, claimed=facts["signed_at"], known_at=known_at):
        return _failed("certificate", Reason(time), **facts)
    return Verdict(checks=[Check(name, True, Reason.OK) for name in PDF_CHECKS], **facts)


def _stated_stamp_time(embedded) -> datetime.datetime | None:
    """The genTime the signature's timestamp token states, read but not yet believed: the signature is validated
    once, at that moment, and pyHanko verifies the token in the same pass (a token that does not hold is refused
    whatever it states)."""
    try:
        for attribute in embedded.signer_info["unsigned_attrs"]:
            if attribute["type"].native == "signature_time_stamp_token":
                info = attribute["values"][0]["content"]["encap_content_info"]["content"].parsed
                return info["gen_time"].native
    except (TypeError, KeyError, ValueError, AttributeError):
        return None
    return None


def _validated(embedded, trust: TrustContext, moment: datetime.datetime, crl_problem: Reason | None,
               now: datetime.datetime):
    """pyHanko's status at `moment`; without a usable CRL, revocation is left to the caller (crl_problem). A CRL
    names whole seconds, so the moment is taken to its second too: a revocation listed in the same second as the
    trusted time does not count against the letter here (online the register's exact times decide it). The
    signature's timestamp token is checked against the TSA roots as of `now`."""
    context = trust.validation_context(moment.replace(microsecond=0), revocation=crl_problem is None)
    return validate_pdf_signature(embedded, context, timestamps.validation_context(trust.tsa_roots, now),
                                  skip_diff=True)


def attachments_of(reader) -> dict[str, bytes]:
    """The files embedded in the letter (the record and the seal-signature file), by name."""
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]["/Names"]
        return {str(names[i]): names[i + 1].get_object()["/EF"]["/F"].get_object().data
                for i in range(0, len(names), 2)}
    except Exception:  # noqa: BLE001 - a letter without attachments just has none
        return {}
