"""The OFD letter (GB/T 33190-2016): the decision as an OFD package beside the PDF, the seal as a stamp annotation on
the page and the GB/T 38540 SES_Signature as the document's signature (GB/T 33190 §18, GM/T 0099): Signatures.xml,
Signature.xml with SM3 check values over the referenced parts, SignedValue.dat. The SES_Signature's document is
Signature.xml itself, as the OFD standard has it.

No Django here (the offline verifier reads packages too); standard library zipfile and ElementTree only.
"""
import base64
import datetime
import io
import posixpath
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

import gmssl_pyx

NS = "http://www.ofdspec.org/2016"
SM3_OID = "1.2.156.10197.1.401"
SM2_WITH_SM3 = "1.2.156.10197.1.501"
PAGE_MM = (210, 297)
SIGN_DIR = "Doc_0/Signs/Sign_0"
SIGNATURE_XML = f"/{SIGN_DIR}/Signature.xml"
SEAL_MM = 42
RED = "200 30 30"
PAGE_ID, LAYER_ID, FONT_ID, STAMP_ID = 2, 3, 1, 1
ElementTree.register_namespace("ofd", NS)


def _q(tag: str) -> str:
    return f"{{{NS}}}{tag}"


def _element(tag: str, attrs: dict | None = None, text: str | None = None, children=()) -> ElementTree.Element:
    element = ElementTree.Element(_q(tag), {k: str(v) for k, v in (attrs or {}).items()})
    element.text = text
    element.extend(children)
    return element


def _xml(root: ElementTree.Element) -> bytes:
    return ElementTree.tostring(root, encoding="UTF-8", xml_declaration=True)


@dataclass
class Line:
    """One line of text on the page: text, size in mm, left x and baseline y in mm from the top, red or black."""

    text: str
    size: float
    x: float
    y: float
    red: bool = False


def wrap(text: str, *, size: float, width: float = 170) -> list[str]:
    """Cut text into lines of at most the characters a line holds (a CJK character is about one em wide)."""
    per_line = max(1, int(width / size))
    return [text[i:i + per_line] for i in range(0, len(text), per_line)] or [""]


def _page(lines: list[Line]) -> bytes:
    objects = []
    for i, line in enumerate(lines):
        width = max(1.0, len(line.text) * line.size)
        box = f"{line.x:.2f} {line.y - line.size:.2f} {width:.2f} {line.size * 1.4:.2f}"
        # CT_Text: the fill colour comes before the text codes.
        colour = [_element("FillColor", {"Value": RED})] if line.red else []
        objects.append(_element("TextObject", {"ID": 100 + i, "Boundary": box, "Font": FONT_ID,
                                               "Size": f"{line.size:.2f}"},
                                children=[*colour, _element("TextCode", {"X": "0", "Y": f"{line.size:.2f}"},
                                                            line.text)]))
    layer = _element("Layer", {"ID": LAYER_ID}, children=objects)
    return _xml(_element("Page", children=[_element("Content", children=[layer])]))


def _document(max_id: int) -> bytes:
    common = _element("CommonData", children=[
        _element("MaxUnitID", text=str(max_id)),
        _element("PageArea", children=[_element("PhysicalBox", text=f"0 0 {PAGE_MM[0]} {PAGE_MM[1]}")]),
        _element("PublicRes", text="PublicRes.xml"),
    ])
    pages = _element("Pages", children=[_element("Page", {"ID": PAGE_ID, "BaseLoc": "Pages/Page_0/Content.xml"})])
    return _xml(_element("Document", children=[common, pages]))


def _root(*, title: str, author: str, doc_id: str, created: datetime.date) -> bytes:
    info = _element("DocInfo", children=[
        _element("DocID", text=doc_id), _element("Title", text=title), _element("Author", text=author),
        _element("CreationDate", text=created.isoformat()), _element("Creator", text="医保视频办 signing"),
    ])
    body = _element("DocBody", children=[info, _element("DocRoot", text="Doc_0/Document.xml"),
                                         _element("Signatures", text="Doc_0/Signs/Signatures.xml")])
    return _xml(_element("OFD", {"Version": "1.0", "DocType": "OFD"}, children=[body]))


def _signature_xml(*, parts: dict[str, bytes], signed_at: datetime.datetime, stamp_box: tuple) -> bytes:
    references = _element("References", {"CheckMethod": SM3_OID}, children=[
        _element("Reference", {"FileRef": f"/{name}"},
                 children=[_element("CheckValue", text=base64.b64encode(gmssl_pyx.sm3_hash(data)).decode())])
        for name, data in parts.items()])
    signed_info = _element("SignedInfo", children=[
        _element("Provider", {"ProviderName": "医保视频办 signing", "Version": "1.0", "Company": "VCMI"}),
        _element("SignatureMethod", text=SM2_WITH_SM3),
        _element("SignatureDateTime", text=signed_at.astimezone(datetime.UTC).strftime("%Y%m%d%H%M%SZ")),
        references,
        _element("StampAnnot", {"ID": STAMP_ID, "PageRef": PAGE_ID,
                                "Boundary": " ".join(f"{v:.2f}" for v in stamp_box)}),
    ])
    return _xml(_element("Signature", children=[signed_info, _element("SignedValue",
                                                                      text=f"/{SIGN_DIR}/SignedValue.dat")]))


def package_build(*, lines: list[Line], title: str, author: str, doc_id: str, signed_at: datetime.datetime,
                  stamp_box: tuple, ses_sign) -> bytes:
    """The OFD package. `ses_sign(signature_xml, property_info) -> SES_Signature DER` signs Signature.xml."""
    parts = {
        "OFD.xml": _root(title=title, author=author, doc_id=doc_id, created=signed_at.date()),
        "Doc_0/Document.xml": _document(max_id=100 + len(lines)),
        "Doc_0/PublicRes.xml": _xml(_element("Res", {"BaseLoc": "Res"}, children=[_element("Fonts", children=[
            _element("Font", {"ID": FONT_ID, "FontName": "宋体", "FamilyName": "宋体"})])])),
        "Doc_0/Pages/Page_0/Content.xml": _page(lines),
    }
    signature_xml = _signature_xml(parts=parts, signed_at=signed_at, stamp_box=stamp_box)
    signatures = _xml(_element("Signatures", children=[
        _element("MaxSignId", text="1"),
        _element("Signature", {"ID": "1", "Type": "Seal", "BaseLoc": "Sign_0/Signature.xml"})]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts.items():
            package.writestr(name, data)
        package.writestr("Doc_0/Signs/Signatures.xml", signatures)
        package.writestr(f"{SIGN_DIR}/Signature.xml", signature_xml)
        package.writestr(f"{SIGN_DIR}/SignedValue.dat", ses_sign(signature_xml, SIGNATURE_XML))
    return out.getvalue()


# --- Reading and checking a package ---------------------------------------------------------------
@dataclass
class Package:
    """What a verifier needs of an OFD package: its first signature's Signature.xml and SignedValue.dat, and what
    is wrong with the package's structure or check values (empty when nothing is)."""

    signature_xml: bytes = b""
    signed_value: bytes = b""
    problems: tuple = ()


def _resolve(base: str, location: str) -> str:
    """A part name from a location, absolute ("/Doc_0/…") or relative to the folder of the part `base`."""
    location = (location or "").strip()
    if location.startswith("/"):
        return posixpath.normpath(location.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), location))


def _find(root, path: str) -> str | None:
    element = root.find(path, {"ofd": NS})
    return element.text if element is not None else None


def package_read(data: bytes) -> Package:
    try:
        return _package_read(data)
    except (zipfile.BadZipFile, KeyError, ValueError, ElementTree.ParseError, RuntimeError, NotImplementedError):
        return Package(problems=("the OFD package cannot be read",))


def _package_read(data: bytes) -> Package:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        read = archive.read
        root = ElementTree.fromstring(read("OFD.xml"))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return Package(problems=("not an OFD package (no readable OFD.xml)",))
    problems = []
    doc_root = _resolve("OFD.xml", _find(root, "ofd:DocBody/ofd:DocRoot") or "")
    signatures = _resolve("OFD.xml", _find(root, "ofd:DocBody/ofd:Signatures") or "")
    if doc_root not in names or signatures not in names:
        return Package(problems=("OFD.xml names a document or signature list the package lacks",))
    document = ElementTree.fromstring(read(doc_root))
    pages = [_resolve(doc_root, page.get("BaseLoc", "")) for page in document.iterfind("ofd:Pages/ofd:Page",
                                                                                          {"ofd": NS})]
    if not pages or any(page not in names for page in pages):
        problems.append("the document names a page the package lacks")
    entry = ElementTree.fromstring(read(signatures)).find("ofd:Signature", {"ofd": NS})
    signature_name = _resolve(signatures, entry.get("BaseLoc", "")) if entry is not None else ""
    if signature_name not in names:
        return Package(problems=(*problems, "the signature list names a signature the package lacks"))
    signature_xml = read(signature_name)
    signature = ElementTree.fromstring(signature_xml)
    value_name = _resolve(signature_name, _find(signature, "ofd:SignedValue") or "")
    covered = set()
    for reference in signature.iterfind("ofd:SignedInfo/ofd:References/ofd:Reference", {"ofd": NS}):
        name = _resolve(signature_name, reference.get("FileRef", ""))
        expected = _find(reference, "ofd:CheckValue") or ""
        if name not in names or base64.b64encode(gmssl_pyx.sm3_hash(read(name))).decode() != expected.strip():
            problems.append(f"the SM3 check value of {name} does not match (the part was changed)")
        covered.add(name)
    if not {doc_root, *pages} <= covered:
        problems.append("the signature does not cover the document and all its pages")
    if value_name not in names:
        return Package(signature_xml, b"", (*problems, "the signature value (SignedValue.dat) is missing"))
    return Package(signature_xml, read(value_name), tuple(problems))
