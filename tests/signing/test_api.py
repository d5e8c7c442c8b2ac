"""The HTTP surface: the case letter, POST/GET /api/v1/signing/verify/, the trust bundle and the /verify/ page."""
import io
import json

import pytest
from rest_framework.test import APIClient

from config.errors import NotFound
from signing.selectors import seal_signature_file
from signing.services import checkpoint_create

pytestmark = pytest.mark.django_db


def _pdf_upload(data: bytes, name="letter.pdf"):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


@pytest.fixture
def case_hook(monkeypatch):
    """Stand in for reviews' permission hook: the keeper sees the case, nobody else does."""
    import reviews.selectors

    visible: set[tuple[int, int]] = set()

    def case_get_for_user(*, user, case_id):
        if (user.pk, case_id) not in visible:
            raise NotFound("找不到该案件。")
        return object()

    monkeypatch.setattr(reviews.selectors, "case_get_for_user", case_get_for_user, raising=False)
    return visible


def test_case_letter_needs_a_case_the_user_may_see(sealed, keeper, case_hook, resident_api):
    client = APIClient()
    url = f"/api/v1/cases/{sealed.case_id}/letter.pdf"
    assert client.get(url).status_code in (401, 403)
    client.force_authenticate(keeper)
    denied = client.get(url)
    assert denied.status_code == 404 and denied.json()["code"] == "not_found"
    case_hook.add((keeper.pk, sealed.case_id))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content == bytes(sealed.letter_pdf)
    assert sealed.verification_code in response["Content-Disposition"]
    case_hook.add((keeper.pk, 999999))
    missing = client.get("/api/v1/cases/999999/letter.pdf")
    assert missing.status_code == 404 and missing.json()["code"] == "no_letter"
    signature = client.get(f"/api/v1/cases/{sealed.case_id}/seal-signature/").json()
    assert signature["seal_signature"]["record_sha256"] == sealed.record_hash


def test_letter_is_refused_without_the_reviews_hook(sealed, keeper, monkeypatch):
    import reviews.selectors

    monkeypatch.delattr(reviews.selectors, "case_get_for_user", raising=False)
    client = APIClient()
    client.force_authenticate(keeper)
    assert client.get(f"/api/v1/cases/{sealed.case_id}/letter.pdf").status_code == 404


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


def test_verify_page(sealed, client):
    page = client.get("/verify/", {"code": sealed.verification_code})
    text = page.content.decode()
    assert page.status_code == 200 and "决定书真实有效" in text and sealed.seal.serial in text
    assert sealed.record["resident"]["id_masked"] not in text and "张三丰" not in text
    upload = client.post("/verify/", {"letter": _pdf_upload(bytes(sealed.letter_pdf))})
    assert upload.status_code == 200 and "决定书真实有效" in upload.content.decode()
    missing = client.get("/verify/", {"code": "NOPE"})
    assert missing.status_code == 404 and "没有找到" in missing.content.decode()
    assert client.get("/verify/").status_code == 200


def test_endpoints_are_in_the_schema(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    for path in ("/api/v1/signing/verify/", "/api/v1/signing/trust/", "/api/v1/cases/{case_id}/letter.pdf"):
        assert path in schema["paths"], path
