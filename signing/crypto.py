"""Cryptographic building blocks of the seal: keys at rest, certificates, SM2/SM3, canonical JSON, Merkle trees.

Nothing here touches the database; services.py and selectors.py compose these pieces.
"""
import base64
import datetime
import hashlib
import hmac
import os
from functools import lru_cache

import gmssl_pyx
import rfc8785
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

# The ledger's Merkle tree lives in a Django-free module the offline verifier shares; reached as crypto.merkle_*.
from signing.merkle import merkle_audit_path, merkle_leaf, merkle_root, merkle_verify_inclusion  # noqa: F401

SM2_DEFAULT_ID = b"1234567812345678"
SM2_ALGORITHM = "SM2-with-SM3"


# --- Canonical JSON and hashes ---------------------------------------------------------------
def canonical(obj) -> bytes:
    """RFC 8785 (JCS) canonical form: the exact bytes every signature and hash is computed over."""
    return rfc8785.dumps(obj)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_hash(record: dict) -> str:
    return sha256_hex(canonical(record))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


# --- Keys at rest ----------------------------------------------------------------------------
def key_passphrase() -> bytes:
    return settings.SIGNING_KEY_PASSPHRASE.encode("utf-8")


def private_key_to_encrypted_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """Encrypted PKCS#8 (PBES2, AES-256) under the passphrase from the environment."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(key_passphrase()),
    ).decode("ascii")


@lru_cache(maxsize=256)
def _load_private_key(pem: str, passphrase: bytes):
    return serialization.load_pem_private_key(pem.encode("ascii"), password=passphrase)


def private_key_from_encrypted_pem(pem: str):
    # Decrypting PKCS#8 costs a key derivation; an unlocked key stays in this process only.
    return _load_private_key(pem, key_passphrase())


def _blob_key(salt: bytes, passphrase: bytes) -> bytes:
    return PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=200_000).derive(passphrase)


def secret_encrypt(secret: bytes, *, label: str) -> str:
    """AES-256-GCM under a PBKDF2 key from the passphrase; for the SM2 keys (no PKCS#8 SM2 in `cryptography`)."""
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_blob_key(salt, key_passphrase())).encrypt(nonce, secret, label.encode("utf-8"))
    return "v1$" + "$".join(b64(part) for part in (salt, nonce, sealed))


@lru_cache(maxsize=256)
def _secret_decrypt(blob: str, label: str, passphrase: bytes) -> bytes:
    version, salt, nonce, sealed = blob.split("$")
    if version != "v1":
        raise ValueError("unknown key blob version")
    return AESGCM(_blob_key(unb64(salt), passphrase)).decrypt(unb64(nonce), unb64(sealed), label.encode("utf-8"))


def secret_decrypt(blob: str, *, label: str) -> bytes:
    return _secret_decrypt(blob, label, key_passphrase())


# --- X.509 -----------------------------------------------------------------------------------
def name_fit(text: str, limit: int) -> str:
    """X.520 upper bounds count UTF-8 bytes here: cut long Chinese names on a character boundary."""
    while len(text.encode("utf-8")) > limit:
        text = text[:-1]
    return text


def _name(common_name: str, unit: str | None = None) -> x509.Name:
    parts = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, settings.SIGNING_BUREAU_NAME),
    ]
    if unit:
        parts.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, unit))
    parts.append(x509.NameAttribute(NameOID.COMMON_NAME, name_fit(common_name, 64)))
    return x509.Name(parts)


def ca_certificate_build(*, common_name: str, days: int = 3650) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    name = _name(common_name)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def seal_certificate_build(
    *, ca_key, ca_cert: x509.Certificate, public_key, common_name: str, unit_code: str,
    not_before: datetime.datetime, not_after: datetime.datetime,
) -> x509.Certificate:
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, unit=unit_code))
        .issuer_name(ca_cert.subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def cert_to_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


@lru_cache(maxsize=512)
def cert_from_pem(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode("ascii"))


def cert_fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


def crl_build(*, ca_key, ca_cert, revoked: list[tuple[int, datetime.datetime]],
              number: int) -> x509.CertificateRevocationList:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca_cert.subject)
        .last_update(now)
        .next_update(now + datetime.timedelta(days=7))
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
    )
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(ca_key, hashes.SHA256())


# --- Bureau signatures over JSON records (seal records, delegations, checkpoints) --------------
def bureau_sign(ca_key, payload: dict) -> str:
    return b64(ca_key.sign(canonical(payload), ec.ECDSA(hashes.SHA256())))


def bureau_verify(ca_cert: x509.Certificate, payload: dict, signature: str) -> bool:
    try:
        ca_cert.public_key().verify(unb64(signature), canonical(payload), ec.ECDSA(hashes.SHA256()))
        return True
    except (InvalidSignature, ValueError):
        return False


# --- SM2 / SM3 (GmSSL, C) --------------------------------------------------------------------
def sm2_keypair() -> tuple[bytes, bytes]:
    """(public 64 bytes x||y, private 32 bytes)."""
    return gmssl_pyx.sm2_key_generate()


# a, b, xG, yG of the curve sm2p256v1 (GB/T 32918.5), as they enter Z_A.
_SM2_CURVE = bytes.fromhex(
    "FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC"
    "28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93"
    "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
    "BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0")


@lru_cache(maxsize=256)
def sm2_z(public_key: bytes, signer_id: bytes = SM2_DEFAULT_ID) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GB/T 32918.2 §5.5): fixed for a signer."""
    return gmssl_pyx.sm3_hash((len(signer_id) * 8).to_bytes(2, "big") + signer_id + _SM2_CURVE + public_key)


@lru_cache(maxsize=256)
def _sm2_key_pair_matches(private_key: bytes, public_key: bytes) -> bool:
    probe = gmssl_pyx.sm3_hash(b"sm2 key pair check")
    return gmssl_pyx.sm2_verify_sm3_digest(public_key, probe, gmssl_pyx.sm2_sign_sm3_digest(private_key, probe))


def sm2_sign(private_key: bytes, public_key: bytes, message: bytes) -> bytes:
    """SM2 over e = SM3(Z_A || M), the same signature gmssl's sm2_sign makes. Its message form derives the public
    key from the private one on every call (2.3 ms measured); the digest form with Z_A of the certified public key
    takes 0.2 ms. The pair is checked once, so a key that does not match its certificate fails loudly."""
    if not _sm2_key_pair_matches(private_key, public_key):
        raise ValueError("the SM2 private key does not match the public key")
    return gmssl_pyx.sm2_sign_sm3_digest(private_key, gmssl_pyx.sm3_hash(sm2_z(public_key) + message))


def sm2_verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        return bool(gmssl_pyx.sm2_verify(public_key, message, signature))
    except Exception:  # a malformed signature or key is a failed verification
        return False


def sm3_hex(data: bytes) -> str:
    return gmssl_pyx.sm3_hash(data).hex()


# SubjectPublicKeyInfo prefix for id-ecPublicKey with the curve sm2p256v1 (1.2.156.10197.1.301), uncompressed point.
_SM2_SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")


def sm2_public_key_pem(public_key: bytes) -> str:
    """SubjectPublicKeyInfo PEM that OpenSSL 3 reads as an SM2 key."""
    der = _SM2_SPKI_PREFIX + b"\x04" + public_key
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


# --- Keyed hashes, codes ---------------------------------------------------------------------
def id_number_hmac(id_number: str) -> str:
    return hmac.new(settings.ID_HASH_KEY.encode("utf-8"), id_number.strip().upper().encode("utf-8"),
                    hashlib.sha256).hexdigest()


def code_hmac(*parts) -> str:
    message = "|".join(str(part) for part in parts).encode("utf-8")
    return hmac.new(settings.SECRET_KEY.encode("utf-8"), b"seal-confirmation|" + message, hashlib.sha256).hexdigest()


