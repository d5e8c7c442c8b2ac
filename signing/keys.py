"""Where a seal's P-256 key lives: encrypted PKCS#8, or a PKCS#11 token (SoftHSM2 in tests, an HSM in production)."""
import threading

from cryptography.hazmat.primitives.serialization import load_der_public_key
from django.conf import settings

from signing import crypto

_sessions: dict[tuple[str, str], object] = {}
_lock = threading.Lock()


def pkcs11_session(token_label: str):
    """One open, logged-in session per (module, token) in this process."""
    import pkcs11

    key = (settings.SIGNING_PKCS11_MODULE, token_label)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            lib = pkcs11.lib(settings.SIGNING_PKCS11_MODULE)
            token = lib.get_token(token_label=token_label)
            session = token.open(user_pin=settings.SIGNING_PKCS11_PIN, rw=True)
            _sessions[key] = session
        return session


def pkcs11_reset() -> None:
    """Close cached sessions (tests switch SoftHSM2 configurations)."""
    with _lock:
        for session in _sessions.values():
            try:
                session.close()
            except Exception:  # noqa: BLE001 - a dead session is what we are discarding
                pass
        _sessions.clear()


def pkcs11_keypair_generate(*, token_label: str, key_label: str):
    """Generate a P-256 key pair on the token (private key never leaves it); return the public key."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

    session = pkcs11_session(token_label)
    with _lock:
        parameters = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        public, _private = parameters.generate_keypair(store=True, label=key_label)
        return load_der_public_key(encode_ec_public_key(public))


def seal_pdf_signer(seal):
    """A pyHanko signer for the seal's certificate, whichever backend holds the key."""
    from signing.letter import _asn1_cert, file_signer

    if seal.key_backend == "pkcs11":
        from pyhanko.sign.pkcs11 import PKCS11Signer

        return PKCS11Signer(
            pkcs11_session(seal.pkcs11_token), key_label=seal.pkcs11_key_label,
            signing_cert=_asn1_cert(seal.cert_pem), ca_chain=[_asn1_cert(seal.ca.cert_pem)],
            use_raw_mechanism=True,
        )
    return file_signer(cert_pem=seal.cert_pem, private_key=crypto.private_key_from_encrypted_pem(seal.key_pem),
                       ca_cert_pem=seal.ca.cert_pem)


def seal_sm2_private_key(seal) -> bytes:
    return crypto.secret_decrypt(seal.sm2_private_key, label=f"sm2:{seal.serial}")
