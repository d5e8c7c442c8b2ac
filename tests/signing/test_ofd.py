"""The OFD letter (GB/T 33190): a package whose parts resolve, the seal's stamp on the page, the SES_Signature over
Signature.xml with SM3 check values over the parts; verified online, over HTTP and offline."""
import base64
import io
import json
import zipfile
from xml.etree import ElementTree

import gmssl_pyx
import pytest
from rest_framework.test import APIClient

from signing.selectors import letter_verify
from signing.services import checkpoint_create
from signing.ses_offline import verify_ofd
from signing.ses_verify import ofd_verify
from tests.support.ses import read_ses

pytestmark = pytest.mark.django_db
NS = {"ofd": "http://www.ofdspec.org/2016"}


def _rezip(package: bytes, replace: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as old, zipfile.ZipFile(out, "w") as new:
        for name in old.namelist():
            new.writestr(name, replace.get(name, old.read(name)))
    return out.getvalue()


def test_the_ofd_letter_is_a_package_whose_parts_resolve(sealed, seal):
    package = zipfile.ZipFile(io.BytesIO(bytes(sealed.letter_ofd)))
    names = set(package.namelist())
    root = ElementTree.fromstring(package.read("OFD.xml"))
    doc_root = root.find("ofd:DocBody/ofd:DocRoot", NS).text
    signatures = root.find("ofd:DocBody/ofd:Signatures", NS).text
    assert {doc_root, signatures} <= names
    document = ElementTree.fromstring(package.read(doc_root))
    assert document.find("ofd:CommonData/ofd:PageArea/ofd:PhysicalBox", NS).text == "0 0 210 297"
    page = document.find("ofd:Pages/ofd:Page", NS)
    content = f"Doc_0/{page.get('BaseLoc')}"
    assert content in names and "Doc_0/PublicRes.xml" in names
    texts = [code.text for code in ElementTree.fromstring(package.read(content)).iter(f"{{{NS['ofd']}}}TextCode")]
    assert any("准予办理决定书" in text for text in texts) and any(sealed.verification_code in t for t in texts)

    entry = ElementTree.fromstring(package.read(signatures)).find("ofd:Signature", NS)
    assert entry.get("Type") == "Seal"
    signature_name = f"Doc_0/Signs/{entry.get('BaseLoc')}"
    signature_xml = package.read(signature_name)
    signature = ElementTree.fromstring(signature_xml)
    assert signature.find("ofd:SignedInfo/ofd:SignatureMethod", NS).text == "1.2.156.10197.1.501"
    assert signature.find("ofd:SignedInfo/ofd:StampAnnot", NS).get("PageRef") == page.get("ID")
    references = signature.findall("ofd:SignedInfo/ofd:References/ofd:Reference", NS)
    assert {ref.get("FileRef").lstrip("/") for ref in references} >= {doc_root, content}
    for ref in references:
        expected = base64.b64encode(gmssl_pyx.sm3_hash(package.read(ref.get("FileRef").lstrip("/")))).decode()
        assert ref.find("ofd:CheckValue", NS).text == expected
    ses = read_ses(package.read(signature.find("ofd:SignedValue", NS).text.lstrip("/")))
    assert ses["data_hash"] == gmssl_pyx.sm3_hash(signature_xml) and ses["es_id"] == seal.serial
    assert bytes(sealed.letter_ofd) and sealed.ledger_entry.payload["letter_ofd_sha256"] == sealed.letter_ofd_sha256


def test_ofd_verification_and_tampering(sealed):
    package = bytes(sealed.letter_ofd)
    result = ofd_verify(package=package)
    assert result["valid"], result["checks"]
    content = "Doc_0/Pages/Page_0/Content.xml"
    original = zipfile.ZipFile(io.BytesIO(package)).read(content)
    changed = _rezip(package, {content: original.replace("准予".encode(), "不予".encode())})
    result = ofd_verify(package=changed)
    checks = {check["name"]: check["ok"] for check in result["checks"]}
    assert not result["valid"] and checks["ofd_package"] is False

    # Whoever changes a part and its check value changes Signature.xml, which the SM2 signature covers.
    signature_name = "Doc_0/Signs/Sign_0/Signature.xml"
    signature_xml = zipfile.ZipFile(io.BytesIO(package)).read(signature_name)
    old_value = base64.b64encode(gmssl_pyx.sm3_hash(original)).decode().encode()
    new_content = original.replace("准予".encode(), "不予".encode())
    new_value = base64.b64encode(gmssl_pyx.sm3_hash(new_content)).decode().encode()
    forged = _rezip(package, {content: new_content, signature_name: signature_xml.replace(old_value, new_value)})
    result = ofd_verify(package=forged)
    checks = {check["name"]: check["ok"] for check in result["checks"]}
    assert not result["valid"] and checks["ofd_package"] is True and checks["document"] is False
    assert not ofd_verify(package=b"not a zip")["valid"]


def test_ofd_over_http_and_offline(sealed, seal, keeper, case_hook):
    client = APIClient()
    client.force_authenticate(keeper)
    url = f"/api/v1/cases/{sealed.case_id}/letter.ofd"
    assert client.get(url).status_code == 404
    case_hook.add((keeper.pk, sealed.case_id))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/ofd"
    assert response.content == bytes(sealed.letter_ofd) and ".ofd" in response["Content-Disposition"]
    upload = io.BytesIO(response.content)
    upload.name = "letter.ofd"
    verified = APIClient().post("/api/v1/signing/verify/", {"ofd": upload}, format="multipart")
    assert verified.status_code == 200 and verified.json()["valid"], verified.json()

    checkpoint_create()
    proof = json.loads(json.dumps(letter_verify(pdf=bytes(sealed.letter_pdf))["ledger"]))
    seal.ca.refresh_from_db()
    trust = {"sm2_root_pem": seal.ca.sm2_cert_pem.encode(), "ca_pem": seal.ca.cert_pem.encode(),
             "crl_pem": seal.ca.crl_pem.encode()}
    valid, checks = verify_ofd(package=response.content, proof=proof, **trust)
    assert valid and "时间戳服务机构" in dict((n, d) for n, _, _c, d in checks)["certificate"], checks
    assert not verify_ofd(package=response.content, **{**trust, "crl_pem": None})[0]
