"""The bureau's trust material as verification holds it: CA certificates, CRLs, bureau signatures."""
import json
from functools import lru_cache

from signing import crypto, tsa
from signing.models import CertificateAuthority


def bureau_signed(ca_pem: str, payload: dict, signature: str) -> bool:
    """The CA's signature over the canonical payload (seal records, checkpoints), remembered by value: the key is
    the payload itself (sorted JSON, cheaper than RFC 8785), so a cached answer can only be about the same statement.
    """
    return _bureau_signature_ok(ca_pem, json.dumps(payload, sort_keys=True, ensure_ascii=False), signature)


@lru_cache(maxsize=1024)
def _bureau_signature_ok(ca_pem: str, payload_json: str, signature: str) -> bool:
    return crypto.bureau_verify(crypto.cert_from_pem(ca_pem), json.loads(payload_json), signature)


_trust = None


def trust_context(*, seal_ca: tuple | None = None):
    """The bureau's CA certificates and CRLs, parsed once and reloaded when a CA or a CRL number changes (one small
    query per verification tells).

    `seal_ca`: the (id, fingerprint, CRL number) of the CA behind the seal being checked, as the caller has just
    read it. When the context holds that very row no query is needed: of all the CRLs, only that CA's bears on the
    seal's certificate (a CA added since is not needed for it; a checkpoint signed by one asks again)."""
    from signing import pades

    global _trust
    if seal_ca is not None and _trust is not None and seal_ca in _trust.version:
        return _trust
    version = tuple(CertificateAuthority.objects.order_by("pk").values_list("pk", "fingerprint", "crl_number"))
    if _trust is None or _trust.version != version:
        _trust = pades.TrustContext.build(CertificateAuthority.objects.order_by("pk").values_list(
            "pk", "fingerprint", "cert_pem", "crl_pem", "crl_number"), tsa_roots_pem=tsa.tsa_roots_pem())
    return _trust


def trust_forget() -> None:
    """Forget the trust context and the CA certificates remembered (verification_caches_clear)."""
    global _trust
    _trust = None
    _ca_pems.clear()


_ca_pems: dict[str, str] = {}


def ca_cert_pem(fingerprint: str) -> str | None:
    """CA certificates never change once stored; remember them by fingerprint."""
    if fingerprint not in _ca_pems:
        pem = CertificateAuthority.objects.filter(fingerprint=fingerprint).values_list("cert_pem", flat=True).first()
        if pem is None:
            return None
        _ca_pems[fingerprint] = pem
    return _ca_pems[fingerprint]
