"""The HTTP surface: POST/GET /api/v1/signing/verify/, the trust bundle and the /verify/ page."""
import io
import json

import pytest

from signing.selectors import seal_signature_file
from signing.services import checkpoint_create

pytestmark = pytest.mark.django_db


def _pdf_upload(data: bytes, name="letter.pdf"):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def test_verify_a_letter_upload(sealed, api):
    response = api.post("/api/v1/signing/verify/", {"letter": _pdf_upload(bytes(sealed.letter_pdf))},
                        format="multipart")
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] and body["decision"]["verification_code"] == sealed.verification_code
    assert all(check["ok"] and check["label"] and check["detail"] for check in body["checks"])
    tampered = bytearray(sealed.letter_pdf)
    tampered[tampered.index(b"ReportLab Generated") + 3] ^= 0x01
    body = api.post("/api/v1/signing/verify/", {"letter": _pdf_upload(bytes(tampered))}, format="multipart").json()
    assert not body["valid"] and body["checks"][0] == {**body["checks"][0], "name": "intact", "ok": False}
    assert body["reason"] == {"code": "altered", "detail": "文件在盖章后被改动过：内容与签名不符。"}
    english = api.post("/api/v1/signing/verify/", {"letter": _pdf_upload(bytes(tampered))}, format="multipart",
                       HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["reason"]["code"] == "altered" and "altered after it was sealed" in english["reason"]["detail"]


def test_verify_a_signature_file_with_its_record(sealed, api):
    document = seal_signature_file(sealed=sealed)
    record = json.dumps(sealed.record, ensure_ascii=False).encode()
    response = api.post("/api/v1/signing/verify/", {"signature": _pdf_upload(document, "sig.json"),
                                                    "record": _pdf_upload(record, "record.json")}, format="multipart")
    assert response.status_code == 200 and response.json()["valid"], response.json()
    forged = json.dumps({**sealed.record, "reason": "forged"}).encode()
    body = api.post("/api/v1/signing/verify/", {"signature": _pdf_upload(document, "sig.json"),
                                                "record": _pdf_upload(forged, "record.json")},
                    format="multipart").json()
    assert not body["valid"] and body["checks"][0]["name"] == "seal_signature"
    only_one = api.post("/api/v1/signing/verify/", {"signature": _pdf_upload(document, "sig.json")},
                        format="multipart")
    assert only_one.status_code == 400 and only_one.json()["code"] == "missing_part"


def test_verify_by_code(sealed, api):
    checkpoint_create()
    response = api.get("/api/v1/signing/verify/", {"code": sealed.verification_code})
    body = response.json()
    assert response.status_code == 200 and body["valid"]
    assert body["ledger"]["checkpoint"]["tree_size"] >= body["ledger"]["seq"]
    assert isinstance(body["ledger"]["inclusion_proof"], list)
    unknown = api.get("/api/v1/signing/verify/", {"code": "AAAABBBBCCCCDDDD"})
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_code"
    assert api.post("/api/v1/signing/verify/", {}, format="multipart").status_code == 400


def test_trust_bundle(sealed, seal, api):
    checkpoint_create()
    body = api.get("/api/v1/signing/trust/").json()
    assert body["ca_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert body["crl"].startswith("-----BEGIN X509 CRL-----") and body["revoked"] == []
    assert body["checkpoint"]["tree_size"] >= sealed.ledger_entry.seq and body["checkpoint"]["signature"]


def test_endpoints_are_in_the_schema(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/signing/verify/", "/api/v1/signing/trust/", "/api/v1/cases/{case_id}/letter.pdf"):
        assert path in schema["paths"], path
