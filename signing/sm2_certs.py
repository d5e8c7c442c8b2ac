"""X.509 certificates with SM2 keys signed SM2-with-SM3 (GM/T 0015): the bureau's seal maker (制章者), which is the
SM2 root, and the seal holders' signing keys. `cryptography` cannot sign SM2: asn1crypto builds the structures,
gmssl-pyx signs (signing.crypto.sm2_sign, default signer ID), and OpenSSL 3 verifies the result (tests).

No database here; signing/sm2_services.py stores what these build.
"""
import datetime
import hashlib
import secrets

import gmssl_pyx
from asn1crypto import keys as asn1_keys
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509

SM2_WITH_SM3 = "1.2.156.10197.1.501"
# SubjectPublicKeyInfo prefix for id-ecPublicKey on the curve sm2p256v1 (1.2.156.10197.1.301), uncompressed point.
_SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def spki_der(public_key: bytes) -> bytes:
    """DER SubjectPublicKeyInfo of a 64-byte x||y SM2 public key."""
    return _SM2_SPKI_PREFIX + b"\x04" + public_key


def public_key_of(cert: asn1_x509.Certificate) -> bytes:
    """The 64-byte x||y SM2 public key a certificate carries (ValueError when it is not an SM2 key)."""
    der = cert["tbs_certificate"]["subject_public_key_info"].dump()
    if not der.startswith(_SM2_SPKI_PREFIX) or len(der) != len(_SM2_SPKI_PREFIX) + 65:
        raise ValueError("not an SM2 public key")
    return der[len(_SM2_SPKI_PREFIX) + 1:]


def _time(moment: datetime.datetime) -> asn1_x509.Time:
    moment = moment.astimezone(datetime.UTC).replace(microsecond=0)
    return asn1_x509.Time({"utc_time" if moment.year < 2050 else "general_time": moment})


def _key_id(public_key: bytes) -> bytes:
    return hashlib.sha1(b"\x04" + public_key).digest()  # RFC 5280 §4.2.1.2 method (1): an identifier, not security


def name(*, organization: str, common_name: str, unit: str | None = None) -> asn1_x509.Name:
    parts = {"country_name": "CN", "organization_name": organization}
    if unit:
        parts["organizational_unit_name"] = unit
    parts["common_name"] = common_name
    return asn1_x509.Name.build(parts)


def _extensions(*, public_key: bytes, issuer_public_key: bytes, authority: bool) -> list[dict]:
    usage = {"digital_signature", "key_cert_sign", "crl_sign"} if authority else {"digital_signature",
                                                                                   "non_repudiation"}
    return [
        {"extn_id": "basic_constraints", "critical": True,
         "extn_value": {"ca": authority, "path_len_constraint": 0 if authority else None}},
        {"extn_id": "key_usage", "critical": True, "extn_value": usage},
        {"extn_id": "key_identifier", "critical": False, "extn_value": _key_id(public_key)},
        {"extn_id": "authority_key_identifier", "critical": False,
         "extn_value": {"key_identifier": _key_id(issuer_public_key)}},
    ]


def sm2_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        return bool(gmssl_pyx.sm2_verify(public_key, message, signature))
    except Exception:  # noqa: BLE001 - a malformed signature or key is a failed verification
        return False


def certificate_build(*, subject: asn1_x509.Name, public_key: bytes, issuer: asn1_x509.Name | None = None,
                      issuer_public: bytes, sign, not_before: datetime.datetime,
                      not_after: datetime.datetime, authority: bool = False, serial: int | None = None) -> bytes:
    """DER certificate for `public_key`, signed SM2-with-SM3 by the issuer: `sign(message) -> DER (r, s)` over
    SM3(Z_A || message) with the default signer ID (signing.crypto.sm2_sign); self-signed when `issuer` is None."""
    tbs = asn1_x509.TbsCertificate({
        "version": "v3",
        "serial_number": serial or secrets.randbits(127) | (1 << 126),
        "signature": {"algorithm": SM2_WITH_SM3},
        "issuer": issuer or subject,
        "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
        "subject": subject,
        "subject_public_key_info": asn1_keys.PublicKeyInfo.load(spki_der(public_key)),
        "extensions": _extensions(public_key=public_key, issuer_public_key=issuer_public, authority=authority),
    })
    cert = asn1_x509.Certificate({
        "tbs_certificate": tbs,
        "signature_algorithm": {"algorithm": SM2_WITH_SM3},
        "signature_value": sign(tbs.dump()),
    })
    return cert.dump()


def to_pem(der: bytes) -> str:
    return asn1_pem.armor("CERTIFICATE", der).decode("ascii")


def from_pem(text: str | bytes) -> asn1_x509.Certificate:
    data = text.encode("ascii") if isinstance(text, str) else text
    if asn1_pem.detect(data):
        _type, _headers, data = asn1_pem.unarmor(data)
    return asn1_x509.Certificate.load(data)


def issued_by(cert: asn1_x509.Certificate, issuer: asn1_x509.Certificate) -> bool:
    """`cert`'s SM2-with-SM3 signature verifies with `issuer`'s key, and the names chain."""
    if cert["signature_algorithm"]["algorithm"].dotted != SM2_WITH_SM3 or cert.issuer != issuer.subject:
        return False
    try:
        return sm2_verify(public_key_of(issuer), cert["tbs_certificate"].dump(), cert["signature_value"].native)
    except ValueError:
        return False


def valid_at(cert: asn1_x509.Certificate, moment: datetime.datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= moment < validity["not_after"].native


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()
