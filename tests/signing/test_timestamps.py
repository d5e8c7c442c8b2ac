"""Trusted time (RFC 3161): the local TSA's certificate and tokens, PAdES B-T and the SES timeStamp, and the
verifiers' rules: a token over another signature value, a token from an untrusted TSA, the back-dating attack with a
genTime after the revocation, a claimed time far from genTime, a letter without a token (new: refused; old: valid
with a note), online and offline alike."""
import datetime
import io
import threading
import types
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.test import override_settings
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.timestamps import HTTPTimeStamper
from rest_framework.test import APIClient

from signing import crypto, gbt38540, pades, timestamps, tsa
from signing.selectors import letter_verify
from signing.services import seal_revoke
from signing.ses_offline import verify_ses
from signing.ses_verify import ses_verify
from signing.verify_offline import verify
from tests.support.forgery import forge, names, without_time_stamp

pytestmark = pytest.mark.django_db


def trust_of(seal) -> dict:
    return {"sm2_root_pem": seal.ca.sm2_cert_pem.encode(), "ca_pem": seal.ca.cert_pem.encode(),
            "crl_pem": seal.ca.crl_pem.encode()}


def certificate_check(checks) -> tuple:
    return next((ok, code) for name, ok, code, _detail in checks if name == "certificate")


def rogue_stamper():
    """A TSA of someone else's: its own root, a proper timeStamping certificate, not chained to any trusted root.
    (stamper, its root's PEM)."""
    root_key, root = crypto.ca_certificate_build(common_name="Rogue TSA root")
    key = ec.generate_private_key(ec.SECP256R1())
    cert = tsa._certificate(ca_key=root_key, ca_cert=root, public_key=key.public_key())
    stamper = tsa.LocalTimeStamper(types.SimpleNamespace(cert_pem=crypto.cert_to_pem(cert),
                                                         key_pem=crypto.private_key_to_encrypted_pem(key)))
    return stamper, crypto.cert_to_pem(root).encode()


def with_ses_token(ses: bytes, token: bytes) -> bytes:
    parsed = gbt38540.SESSignature.load(without_time_stamp(ses))
    return gbt38540.SESSignature({**{name: parsed[name] for name in ("to_sign", "cert", "signature_alg_id",
                                                                      "signature")}, "time_stamp": token}).dump()


def with_pdf_token_of(pdf: bytes, donor: bytes) -> bytes:
    """`pdf` with its CMS signature's timestamp attribute replaced by `donor`'s (a token over another signature
    value); the signed bytes and the signature itself are untouched."""
    def signed_data(data: bytes):
        embedded = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures[0]
        contents = bytes.fromhex(data[embedded.byte_range[1] + 1:embedded.byte_range[2] - 1].decode())
        return embedded, cms.ContentInfo.load(contents, strict=False)["content"]

    embedded, target = signed_data(pdf)
    _, source = signed_data(donor)
    target["signer_infos"][0]["unsigned_attrs"] = source["signer_infos"][0]["unsigned_attrs"]
    blob = cms.ContentInfo({"content_type": "signed_data", "content": target}).dump(force=True).hex().encode()
    start, end = embedded.byte_range[1] + 1, embedded.byte_range[2] - 1  # inside < and >
    assert len(blob) <= end - start
    return pdf[:start] + blob.ljust(end - start, b"0") + pdf[end:]


# --- The local TSA ---------------------------------------------------------------------------------------------
def test_the_local_tsa_certificate_is_for_time_stamping_only_and_its_key_encrypted(ca):
    authority = tsa.tsa_issue()
    cert = x509.load_pem_x509_certificate(authority.cert_pem.encode())
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert usage.critical and list(usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert cert.issuer == crypto.cert_from_pem(ca.cert_pem).subject
    assert "ENCRYPTED PRIVATE KEY" in authority.key_pem
    assert tsa.tsa_issue().pk == authority.pk and tsa.tsa_issue(replace=True).pk != authority.pk


def test_post_tsa_answers_a_timestamp_query_and_rejects_a_bad_one(ca):
    _nonce, request = tsa.LocalTimeStamper(tsa.tsa_issue()).request_cms(b"\x01" * 32, "sha256")
    response = APIClient().post("/tsa/", request.dump(), content_type="application/timestamp-query")
    assert response.status_code == 200 and response["Content-Type"] == "application/timestamp-reply"
    reply = tsp.TimeStampResp.load(response.content)
    info = reply["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    assert reply["status"]["status"].native == "granted"
    assert info["message_imprint"]["hashed_message"].native == b"\x01" * 32
    assert info["nonce"].native == request["nonce"].native and info["policy"].native == tsa.POLICY

    short = tsp.TimeStampReq({"version": 1, "message_imprint": {"hash_algorithm": {"algorithm": "sha1"},
                                                                "hashed_message": b"\x01" * 20}})
    rejected = APIClient().post("/tsa/", short.dump(), content_type="application/timestamp-query").content
    status = tsp.PKIStatusInfo.load(core.Sequence.load(rejected)[0].dump())  # a response without a token
    assert status["status"].native == "rejection" and status["fail_info"].native == {"bad_alg"}
    assert APIClient().post("/tsa/", b"x", content_type="application/json").status_code == 415


@pytest.fixture
def service_url():
    """The project's WSGI application on a loopback port (each request's database connection closed after it)."""
    from django.core.wsgi import get_wsgi_application
    from django.db import connections

    application = get_wsgi_application()

    def app(environ, start_response):
        try:
            return application(environ, start_response)
        finally:
            connections.close_all()

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db(transaction=True)
def test_the_http_client_path_gets_a_token_from_the_service(ca, service_url):
    token = tsa.token_over(b"signature value", stamper=HTTPTimeStamper(service_url + "/tsa/"))
    stamp = timestamps.token_check(token, signature_value=b"signature value",
                                   roots=pades.load_certificates(ca.cert_pem.encode()),
                                   now=datetime.datetime.now(datetime.UTC))
    assert stamp.code == timestamps.OK and abs(stamp.at - timezone.now()) < datetime.timedelta(minutes=1)


@override_settings(SIGNING_TSA_URL="http://127.0.0.1:9/tsa/", SIGNING_TSA_TIMEOUT=2)
def test_sealing_fails_plainly_when_the_tsa_cannot_be_reached(seal, workstation, keeper, make_record,
                                                              seal_decision):
    with pytest.raises(tsa.TsaUnavailable):
        seal_decision(record=make_record(unit=workstation, reviewer=keeper), unit=workstation, user=keeper)


# --- A genuine letter --------------------------------------------------------------------------------------------
def test_a_sealed_letter_carries_tokens_over_its_signature_values(sealed, seal):
    ses = gbt38540.parse(bytes(sealed.ses_signature))
    roots = pades.load_certificates(seal.ca.cert_pem.encode())
    now = datetime.datetime.now(datetime.UTC)
    stamp = timestamps.token_check(ses.time_stamp, signature_value=ses.signature_value, roots=roots, now=now)
    assert stamp.code == timestamps.OK and abs(stamp.at - sealed.sealed_at) < datetime.timedelta(minutes=1)
    result = verify(bytes(sealed.letter_pdf), seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode())
    assert result["valid"] and result["trusted_time"]["source"] == "timestamp", result
    assert pades.NO_TRUSTED_TIME not in names_detail(result, "certificate")
    assert verify_ses(ses=bytes(sealed.ses_signature), document=bytes(sealed.letter_pdf), **trust_of(seal))[0]


def names_detail(result: dict, name: str) -> str:
    return next(check["detail"] for check in result["checks"] if check["name"] == name)


# --- Tokens that do not hold ------------------------------------------------------------------------------------
def test_a_token_over_a_different_signature_value_is_refused(sealed, seal, workstation, keeper, make_record,
                                                            seal_decision):
    other = seal_decision(record=make_record(unit=workstation, reviewer=keeper), unit=workstation, user=keeper)
    ses = with_ses_token(bytes(sealed.ses_signature), gbt38540.parse(bytes(other.ses_signature)).time_stamp)
    valid, checks = verify_ses(ses=ses, document=bytes(sealed.letter_pdf), **trust_of(seal))
    assert not valid and certificate_check(checks) == (False, "timestamp_invalid")
    online = ses_verify(ses=ses, document=bytes(sealed.letter_pdf))
    assert not online["valid"] and online["reason"]["code"] == "timestamp_invalid", online

    letter = with_pdf_token_of(bytes(sealed.letter_pdf), bytes(other.letter_pdf))
    result = verify(letter, seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode())
    assert names(result)["intact"] == (True, "ok")  # the signature itself still holds
    assert names(result)["certificate"] == (False, "timestamp_invalid"), result
    assert letter_verify(pdf=letter)["reason"]["code"] == "timestamp_invalid"


def test_a_token_from_an_untrusted_tsa_is_refused(sealed, seal, workstation, keeper, make_record):
    ses = gbt38540.parse(bytes(sealed.ses_signature))
    token = tsa.token_over(ses.signature_value, stamper=rogue_stamper()[0])
    forged = with_ses_token(bytes(sealed.ses_signature), token)
    valid, checks = verify_ses(ses=forged, document=bytes(sealed.letter_pdf), **trust_of(seal))
    assert not valid and certificate_check(checks) == (False, "timestamp_untrusted")
    assert ses_verify(ses=forged, document=bytes(sealed.letter_pdf))["reason"]["code"] == "timestamp_untrusted"

    from signing import keys
    from signing.letter import letter_render, letter_sign

    stamper, root = rogue_stamper()
    record = make_record(unit=workstation, reviewer=keeper)
    rendered = letter_render(record=record, resident_name="李四", verification_code="ROGUE", bureau_name="局",
                             verification_url="http://127.0.0.1/verify/", seal_serial=seal.serial,
                             record_sha256=crypto.record_hash(record))
    letter = letter_sign(letter=rendered, signer=keys.seal_pdf_signer(seal), seal_png=bytes(seal.picture_png),
                         attachments={}, reason="准予", location="x", signer_name=seal.name,
                         timestamper=stamper)
    result = verify(letter, seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode())
    assert names(result)["certificate"] == (False, "timestamp_untrusted"), result
    # Trusting that TSA's root (--tsa-root) makes its token count: the root decides, not the token's shape.
    assert verify(letter, seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode(), tsa_roots_pem=root)["checks"][2] \
        == {"name": "certificate", "ok": True, "code": "ok", "detail": pades.PASSED["certificate"]}


# --- The attack of the issue: back-dated claim, genTime after the revocation -------------------------------------
def test_a_back_dated_letter_with_a_real_token_after_the_revocation_is_refused(seal, workstation, keeper,
                                                                              make_record):
    now = timezone.now()
    seal_revoke(seal=seal, reason="印章密钥被盗", at=now)
    seal.ca.refresh_from_db()
    letter = forge(seal=seal, record=make_record(unit=workstation, reviewer=keeper),
                   when=now - datetime.timedelta(seconds=30), stamped_at=now + datetime.timedelta(seconds=2))
    ca, crl = seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode()
    for crl_given, code in ((crl, "certificate_revoked"), (None, "revocation_unknown")):
        result = verify(letter, ca, crl_given)
        assert not result["valid"] and names(result)["certificate"] == (False, code), result
        assert result["trusted_time"]["source"] == "timestamp"
    online = letter_verify(pdf=letter)
    assert names(online)["certificate"] == (False, "certificate_revoked"), online

    # The same attack on a GB/T 38540 signature: the claimed timeInfo before, the TSA's genTime after.
    document = b"%PDF-1.7 forged decision"
    stamper = tsa.LocalTimeStamper(tsa.tsa_issue(), clock=lambda: now + datetime.timedelta(seconds=2))
    ses = _forged_ses(seal, document, claimed=now - datetime.timedelta(seconds=30),
                      stamp=lambda value: tsa.token_over(value, stamper=stamper))
    for crl_given, code in ((crl, "certificate_revoked"), (None, "revocation_unknown")):
        valid, checks = verify_ses(ses=ses, document=document, **{**trust_of(seal), "crl_pem": crl_given})
        assert not valid and certificate_check(checks) == (False, code), checks
    assert ses_verify(ses=ses, document=document)["reason"]["code"] in {"certificate_revoked", "untrusted_time"}


def _forged_ses(seal, document: bytes, *, claimed, stamp) -> bytes:
    from signing import keys, sm2_certs

    private, public = keys.seal_sm2_private_key(seal), bytes.fromhex(seal.sm2_public_key[2:])
    return gbt38540.signature_build(
        seseal=bytes(seal.seseal_der), signer_cert=sm2_certs.from_pem(seal.sm2_cert_pem).dump(), document=document,
        property_info="letter.pdf", signed_at=claimed, sign=lambda message: crypto.sm2_sign(private, public, message),
        stamp=stamp)


def test_a_claimed_time_far_from_the_tokens_is_refused(seal, workstation, keeper, make_record):
    now = timezone.now()
    letter = forge(seal=seal, record=make_record(unit=workstation, reviewer=keeper),
                   when=now - datetime.timedelta(hours=3), stamped_at=now)
    result = verify(letter, seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode())
    assert names(result)["certificate"] == (False, "time_mismatch"), result

    ses = _forged_ses(seal, b"document", claimed=now - datetime.timedelta(hours=3), stamp=tsa.token_over)
    valid, checks = verify_ses(ses=ses, document=b"document", **trust_of(seal))
    assert not valid and certificate_check(checks) == (False, "time_mismatch")


# --- No token: new letters refused, old letters valid with a note ------------------------------------------------
def test_a_new_letter_without_a_token_is_refused(seal, workstation, keeper, make_record):
    letter = forge(seal=seal, record=make_record(unit=workstation, reviewer=keeper), when=timezone.now())
    result = verify(letter, seal.ca.cert_pem.encode(), seal.ca.crl_pem.encode())
    assert names(result)["certificate"] == (False, "timestamp_missing"), result
    ses = _forged_ses(seal, b"document", claimed=timezone.now(), stamp=None)
    assert certificate_check(verify_ses(ses=ses, document=b"document", **trust_of(seal))[1]) == \
        (False, "timestamp_missing")


def test_an_old_letter_without_a_token_is_valid_with_a_plain_note(sealed, seal, monkeypatch, settings):
    """Letters sealed before timestamps.REQUIRED_SINCE carry no token: valid, judged at the ledger's time, and the
    result says there was no trusted time from a TSA (in Chinese, and in English when asked)."""
    monkeypatch.setattr(timestamps, "REQUIRED_SINCE", timezone.now() + datetime.timedelta(days=1))
    old_ses = without_time_stamp(bytes(sealed.ses_signature))
    valid, checks = verify_ses(ses=old_ses, document=bytes(sealed.letter_pdf), **trust_of(seal))
    detail = next(d for name, _ok, _code, d in checks if name == "certificate")
    assert valid and pades.NO_TRUSTED_TIME in detail, checks

    from signing.verify_offline import _translator

    english = _translator("en")
    valid, checks = verify_ses(ses=old_ses, document=bytes(sealed.letter_pdf), _=english, **trust_of(seal))
    detail = next(d for name, _ok, _code, d in checks if name == "certificate")
    assert valid and english(pades.NO_TRUSTED_TIME) in detail and english(pades.NO_TRUSTED_TIME) != \
        pades.NO_TRUSTED_TIME

    # Online, the ledger entry is the time; the .ses is not the registered one, so the ledger check says so.
    online = ses_verify(ses=old_ses, document=bytes(sealed.letter_pdf))
    certificate = next(c for c in online["checks"] if c["name"] == "certificate")
    assert certificate["ok"] and certificate["detail"].endswith(str(pades.NO_TRUSTED_TIME)), certificate
    monkeypatch.setattr(timestamps, "REQUIRED_SINCE", timezone.now() - datetime.timedelta(days=1))
    assert certificate_check(verify_ses(ses=old_ses, document=bytes(sealed.letter_pdf), **trust_of(seal))[1]) \
        == (False, "timestamp_missing")
