"""The signing API's answers and refusals through its serializers: what may be handed in to /signing/verify/
(refused with the same codes and words, zh and en), and the trust bundle and exported checkpoints key for key as
their selectors give them (a key absent stays absent, a null stays null)."""
import io
import json

import pytest

from signing import checkpoint_store
from signing.models import CertificateAuthority
from signing.selectors import trust_bundle
from signing.services import checkpoint_create

pytestmark = pytest.mark.django_db
VERIFY = "/api/v1/signing/verify/"


def _file(data: bytes, name: str):
    upload = io.BytesIO(data)
    upload.name = name
    return upload


def refusal(api, body, language="zh-hans", **kwargs):
    response = api.post(VERIFY, body, HTTP_ACCEPT_LANGUAGE=language, **kwargs)
    assert response.status_code == 400, response.content
    return response.json()


@pytest.mark.parametrize(("language", "nothing", "missing", "bad_json"), [
    ("zh-hans", "请上传决定书 PDF，或签章文件和审批记录，或输入核验码。", "请同时提供签章文件和审批记录。",
     "签章文件或审批记录不是有效的 JSON。"),
    ("en", "Please upload the decision letter PDF, or the seal file and approval record, or enter the verification "
           "code.", "Please provide both the seal file and the approval record.",
     "The seal file or the approval record is not valid JSON."),
])
def test_upload_refusals_keep_their_codes_and_words(org, api, language, nothing, missing, bad_json):
    assert refusal(api, {}, language, format="multipart") == {"code": "nothing_to_verify", "detail": nothing}
    # A text field named like a file part is not a file: nothing to verify still.
    assert refusal(api, {"letter": "x"}, language, format="multipart")["code"] == "nothing_to_verify"
    assert refusal(api, {"signature": _file(b"{}", "s.json")}, language, format="multipart") == {
        "code": "missing_part", "detail": missing}
    assert refusal(api, {"signature": {"a": 1}, "record": None}, language, format="json") == {
        "code": "missing_part", "detail": missing}
    for signature in ("not json", ""):  # inline text, a blank form field included, is a part as sent
        assert refusal(api, {"signature": signature, "record": "{}"}, language, format="multipart") == {
            "code": "bad_json", "detail": bad_json}
    assert refusal(api, {"signature": [1, 2], "record": {}}, language, format="json")["code"] == "bad_json"


def test_a_part_over_the_limit_is_too_large(org, api, monkeypatch):
    monkeypatch.setattr("signing.serializers.MAX_UPLOAD_BYTES", 8)
    for part in ("letter", "ofd"):
        assert refusal(api, {part: _file(b"123456789", "x")}, format="multipart") == {
            "code": "too_large", "detail": "文件过大。"}
    english = refusal(api, {"signature": _file(b"123456789", "s.json"), "record": "{}"}, "en", format="multipart")
    assert english == {"code": "too_large", "detail": "File too large."}
    ses = refusal(api, {"ses": _file(b"1", "a.ses"), "document": _file(b"123456789", "l.pdf")}, format="multipart")
    assert ses["code"] == "missing_part"


def test_a_code_is_checked_only_when_it_is_what_was_handed_in(org, api):
    too_long = refusal(api, {"code": "A" * 65}, format="json")
    assert too_long["code"] == "invalid" and "code" in too_long["fields"]
    unknown = api.post(VERIFY, {"code": "AAAABBBBCCCCDDDD"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 404
    assert unknown.json() == {"code": "unknown_code", "detail": "No decision letter found for this verification code."}
    # A letter wins over a code sent beside it (first match), so the code's length does not matter then.
    letter = api.post(VERIFY, {"letter": _file(b"%PDF-1.7 not a letter", "l.pdf"), "code": "A" * 65},
                      format="multipart")
    assert letter.status_code == 200 and letter.json()["valid"] is False


def test_trust_bundle_without_a_ca_keeps_its_short_shape(org, api):
    CertificateAuthority.objects.update(active=False)
    body = api.get("/api/v1/signing/trust/").json()
    assert body == {"ca_certificate": None, "crl": None, "revoked": [], "checkpoint": None}


def test_trust_bundle_is_the_selectors_key_for_key(sealed, seal, api):
    checkpoint_create()
    CertificateAuthority.objects.filter(active=True).update(sm2_cert_pem="")
    body = api.get("/api/v1/signing/trust/").json()
    assert body == json.loads(json.dumps(trust_bundle()))
    assert set(body) == {"ca_certificate", "ca_sha256", "sm2_root_certificate", "crl", "tsa_roots", "revoked",
                         "checkpoint"}
    assert body["sm2_root_certificate"] is None and body["checkpoint"]["signature"]


def test_exported_checkpoints_are_served_as_stored_and_an_unreadable_one_says_so(sealed, api, checkpoint_store_dir,
                                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = checkpoint_create()
    checkpoint_store_dir.mkdir(parents=True, exist_ok=True)
    (checkpoint_store_dir / f"{checkpoint.tree_size + 1:012d}.json").write_bytes(b"not json")
    body = api.get("/api/v1/signing/checkpoints/").json()
    assert body == {"checkpoints": [checkpoint_store.exported_checkpoint(checkpoint.tree_size),
                                    {"tree_size": checkpoint.tree_size + 1, "unreadable": True}]}
