"""The /verify/ page for residents and clerks: the site's header, plain words, the first failed check as the reason."""
import pytest

from frontend.verify import failure_reason, plain_checks

pytestmark = pytest.mark.django_db


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("letter.pdf", data, content_type="application/pdf")


def test_a_genuine_letter_is_confirmed_in_plain_words_under_the_sites_header(sealed, client):
    letter = sealed  # tests/support/signing_fixtures.py (a plugin)
    text = client.post("/verify/", {"letter": _upload(bytes(letter.letter_pdf))}).content.decode()
    assert "决定书真实有效" in text and 'id="elderly-toggle"' in text and 'class="topbar"' in text
    assert "文件内容在盖章后没有被改动过" in text and "盖章的工作人员有权使用这枚印章" in text
    # The offline command is a note for technical staff, folded away.
    assert '<details class="card tech" id="offline-note">' in text
    assert text.index("verify_offline.py") > text.index('id="offline-note"')


def test_an_altered_letter_names_the_first_failed_check_not_the_root_certificate(sealed, client):
    letter = sealed
    tampered = bytearray(letter.letter_pdf)
    tampered[tampered.index(b"ReportLab Generated") + 3] ^= 0x01
    text = client.post("/verify/", {"letter": _upload(bytes(tampered))}).content.decode()
    assert "这份决定书没有通过核验" in text
    reason = text[text.index('id="verify-reason"'):].split("</p>")[0]
    assert "改动" in reason, reason
    assert "根证书" not in reason


def test_the_reason_is_the_one_the_signing_app_gives_else_the_first_failed_check():
    checks = [{"name": "intact", "ok": True, "label": "x", "detail": ""},
              {"name": "chain", "ok": False, "label": "y", "detail": "untrusted root"},
              {"name": "ledger", "ok": False, "label": "z", "detail": ""}]
    assert failure_reason({"valid": False, "checks": checks}) == "印章证书不是菏泽市医疗保障局签发的"
    assert failure_reason({"valid": False, "checks": checks, "reason": "文件被改动过"}) == "文件被改动过"
    assert failure_reason({"valid": False, "checks": checks, "detail": "文件被改动过"}) == "文件被改动过"
    assert failure_reason({"valid": True, "checks": checks[:1]}) == ""
    unknown = plain_checks({"checks": [{"name": "new_check", "ok": True, "label": "新检查"}]})
    assert unknown[0]["plain"] == "新检查"


def test_the_page_speaks_english_and_keeps_the_code_form(client, settings):
    client.cookies["django_language"] = "en"
    text = client.get("/verify/").content.decode()
    assert "Check whether a decision letter is genuine" in text and 'name="code"' in text
    assert client.get("/verify/", {"code": "NOPE"}).status_code == 404
