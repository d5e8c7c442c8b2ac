"""Sealed decisions and what anyone may read of them: letters, seal signatures, the trust bundle."""
import io

from django.utils.translation import gettext as _

from signing import tsa
from signing.models import CertificateAuthority, Checkpoint, Seal, SealedDecision
from signing.selectors.ledger import _checkpoint_json


def sealed_decision_for_case(*, case_id: int) -> SealedDecision | None:
    return SealedDecision.objects.select_related("seal").filter(case_id=case_id).first()


def letter_bytes(*, sealed: SealedDecision) -> bytes:
    return bytes(sealed.letter_pdf)


def seal_signature_file(*, sealed: SealedDecision) -> bytes:
    """The exportable seal signature, exactly as embedded in the letter."""
    return _attachments(bytes(sealed.letter_pdf)).get("seal-signature.json", b"")


def _verification_code(code: str) -> str | None:
    code = (code or "").strip().upper().replace(" ", "").replace("-", "")
    return code if code and len(code) <= 20 else None


def sealed_decision_by_code(*, code: str) -> SealedDecision | None:
    code = _verification_code(code)
    if code is None:
        return None
    return SealedDecision.objects.select_related("seal").filter(verification_code=code).first()


def trust_bundle() -> dict:
    ca = CertificateAuthority.objects.filter(active=True).first()
    if ca is None:
        return {"ca_certificate": None, "crl": None, "revoked": [], "checkpoint": None}
    revoked = [
        {"seal": seal.serial, "unit": seal.unit.name, "cert_serial": seal.cert_serial,
         "revoked_at": seal.revoked_at.isoformat()}
        for seal in Seal.objects.filter(revoked_at__isnull=False).select_related("unit").order_by("revoked_at")
    ]
    checkpoint = Checkpoint.objects.order_by("-tree_size").first()
    return {
        "ca_certificate": ca.cert_pem,
        "ca_sha256": ca.fingerprint,
        "sm2_root_certificate": ca.sm2_cert_pem or None,  # the GB/T 38540 seal maker (docs/signing-gbt38540.md)
        "crl": ca.crl_pem,
        "tsa_roots": (tsa.tsa_roots_pem() or ca.cert_pem.encode()).decode("ascii"),  # verify_offline --tsa-root
        "revoked": revoked,
        "checkpoint": _checkpoint_json(checkpoint) if checkpoint else None,
    }


def _attachments(pdf: bytes) -> dict[str, bytes]:
    from pyhanko.pdf_utils.reader import PdfFileReader

    from signing import pades

    try:
        return pades.attachments_of(PdfFileReader(io.BytesIO(pdf), strict=False))
    except Exception:  # noqa: BLE001 - a letter without attachments just has none
        return {}


def decision_public_summary(sealed: SealedDecision) -> dict:
    """What anyone may see about a sealed decision: no resident, no reviewer."""
    record = sealed.record
    return {
        "verification_code": sealed.verification_code,
        "item": record["item"]["name"],
        "decision": sealed.decision,
        "decision_label": _("准予办理") if sealed.decision == "approve" else _("不予办理"),
        "unit": record["unit"]["name"],
        "decided_on": record["decided_at"][:10],
        "seal_serial": sealed.seal.serial,
        "record_sha256": sealed.record_hash,
        "letter_sha256": sealed.letter_sha256,
    }
