"""What the signing tests forge and take apart: a letter made with a stolen seal's keys at a time of the thief's
choosing, an SES_Signature with its timestamp taken out, and a verification's checks by name."""
import datetime

import time_machine

from signing import crypto, gbt38540, keys
from signing.letter import letter_render, letter_sign
from signing.services import seal_signature_document


def forge(*, seal, record, when: datetime.datetime, stamped_at: datetime.datetime | None = None) -> bytes:
    """What the thief makes with the stolen PDF and SM2 keys: a complete letter, signing time of his choosing. The
    TSA is not his: its token carries the real time (`stamped_at`); None: he asks no TSA."""
    from signing import tsa

    stamper = tsa.LocalTimeStamper(tsa.tsa_issue(), clock=lambda: stamped_at) if stamped_at else None
    canonical = crypto.canonical(record)
    signature = crypto.sm2_sign(keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:]), canonical)
    document = seal_signature_document(seal=seal, record=record, signature=signature,
                                       signed_at=when.isoformat(), code="FORGEDCODE")
    with time_machine.travel(when, tick=False):
        letter = letter_render(record=record, resident_name="李四", verification_code="FORGEDCODE",
                               verification_url="http://127.0.0.1/verify/", bureau_name="局",
                               seal_serial=seal.serial, record_sha256=crypto.sha256_hex(canonical))
        return letter_sign(letter=letter, signer=keys.seal_pdf_signer(seal), seal_png=bytes(seal.picture_png),
                           attachments={"record.json": canonical, "seal-signature.json": crypto.canonical(document)},
                           reason="准予", location="x", signer_name=seal.name, timestamper=stamper,
                           timestamped=stamper is not None)


def names(result: dict) -> dict:
    return {check["name"]: (check["ok"], check["code"]) for check in result["checks"]}


def without_time_stamp(ses: bytes) -> bytes:
    """The SES_Signature with its timeStamp taken out (the SM2 signature does not cover it)."""
    parsed = gbt38540.SESSignature.load(ses)
    return gbt38540.SESSignature({name: parsed[name] for name in ("to_sign", "cert", "signature_alg_id",
                                                                   "signature")}).dump()
