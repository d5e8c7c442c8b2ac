"""The decision letter: rendered in Chinese with reportlab, sealed visibly and signed PAdES (ECDSA P-256) by pyHanko."""
import io
from functools import lru_cache

import qrcode
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from PIL import Image
from pyhanko.pdf_utils import embed, generic
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

ZENHEI = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT = "WQYZenHei"
SEAL_FIELD = "BureauSeal"
SEAL_BOX = (385, 120, 535, 270)  # the seal sits over the unit name and date, as on paper
RED = (0.78, 0.06, 0.1)
# Room for the CMS blob, counted in hex digits: ECDSA signature + seal and CA certificates + signed attributes come
# to ~1.75 kB DER with the longest names (_fit caps them), i.e. ~3.5k digits. A fixed size skips pyHanko's size
# estimate and keeps the /Contents hex string short, which every verifier parses digit by digit.
# A PKCS#11 signer's CMS is larger (the token's certificate objects ride along): it gets more room.
SIGNATURE_BYTES_RESERVED = 4096
PKCS11_BYTES_RESERVED = 8192

DECISION_TITLES = {"approve": "医疗保障业务准予办理决定书", "reject": "医疗保障业务不予办理决定书"}
DECISION_WORDS = {"approve": "准予办理", "reject": "不予办理"}


@lru_cache(maxsize=1)
def _register_font() -> str:
    font = TTFont(FONT, ZENHEI, subfontIndex=0)
    _glyf_without_copy(font.face)
    pdfmetrics.registerFont(font)
    return FONT


class _TableView:
    """A font table read in place: a slice is copied out as bytes, the table itself never is."""

    def __init__(self, view: memoryview):
        self._view = view

    def __getitem__(self, index) -> bytes:
        return bytes(self._view[index])

    def __len__(self) -> int:
        return len(self._view)


def _glyf_without_copy(face) -> None:
    """reportlab's subsetter (the letter's font is embedded as a subset of the characters it uses) reads the glyph
    table with get_table("glyf"), a copy of the whole table (10.6 MB in WenQuanYi Zen Hei, 0.8 ms a letter), and
    then only slices a few hundred glyphs out of it. Give it a view of the table instead: the slices are the same
    bytes (tests compare the subsets both ways)."""
    get_table = face.get_table

    def get_table_in_place(tag):
        if tag != "glyf":
            return get_table(tag)
        start, length = face.get_table_pos(tag)
        return _TableView(memoryview(face._ttf_data)[start:start + length])

    face.get_table = get_table_in_place


def _draw_qr(page, url: str, x: float, y: float, size: float) -> None:
    """The QR code as a 1-pixel-per-module image. A fixed mask skips qrcode's slow search over all eight masks."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=2)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    quiet = 2
    n = len(matrix) + 2 * quiet
    image = Image.new("L", (n, n), 255)
    image.putdata([0 if quiet <= r < n - quiet and quiet <= c < n - quiet and matrix[r - quiet][c - quiet] else 255
                   for r in range(n) for c in range(n)])
    # One pixel per module, scaled up by the viewer without smoothing: sharp modules, a tiny image object.
    page.drawImage(ImageReader(image), x, y, width=size, height=size)


def letter_render(*, record: dict, resident_name: str, verification_code: str, verification_url: str,
                  bureau_name: str, seal_serial: str, record_sha256: str | None = None) -> bytes:
    """The unsigned letter. Everything shown comes from the record, except the resident's full name.
    `record_sha256`: the record's hash when the caller has computed it."""
    font = _register_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=0)
    page.setTitle(DECISION_TITLES.get(record["decision"], "决定书"))
    page.setAuthor(record["unit"]["name"])
    page.setSubject(f"verification-code:{verification_code}")
    page.setCreator("医保视频办 signing")
    width, height = A4
    left, right = 70, width - 70

    page.setFont(font, 13)
    page.drawCentredString(width / 2, height - 80, bureau_name)
    page.setFont(font, 20)
    page.setFillColorRGB(*RED)
    page.drawCentredString(width / 2, height - 112, DECISION_TITLES.get(record["decision"], "决定书"))
    page.setFillColorRGB(0, 0, 0)
    page.setStrokeColorRGB(*RED)
    page.setLineWidth(1.2)
    page.line(left, height - 126, right, height - 126)
    page.setFont(font, 10)
    page.drawRightString(right, height - 142, f"核验码：{verification_code}    案件编号：{record['case_id']}")

    y = height - 175
    resident = record["resident"]
    rows = [
        ("申请人", f"{resident_name}（身份证号 {resident['id_masked']}）"),
        ("办理事项", f"{record['item']['name']}（{record['item']['code']}）"),
        ("审批单位", record["unit"]["name"]),
        ("审核人", record["reviewer"]["name"]),
        ("决定时间", record["decided_at"].replace("T", " ")[:19]),
    ]
    if record.get("delegation"):
        rows.append(("授权依据", f"{record['delegation']['serial']}（{record['delegation']['granted_by']}授权）"))
    for label, value in rows:
        page.setFont(font, 11)
        page.drawString(left, y, f"{label}：")
        for line in simpleSplit(value, font, 11, right - left - 70):
            page.drawString(left + 70, y, line)
            y -= 18
        y -= 2

    y -= 10
    page.setFont(font, 12)
    word = DECISION_WORDS.get(record["decision"], record["decision"])
    body = (f"经审核，申请人申请办理的“{record['item']['name']}”事项，决定{word}。"
            + (f"理由：{record['reason']}" if record.get("reason") else ""))
    for line in simpleSplit(body, font, 12, right - left):
        page.drawString(left, y, line)
        y -= 20

    y -= 8
    page.setFont(font, 10)
    page.drawString(left, y, "审核材料（SHA-256 摘要）：")
    y -= 16
    for material in record["materials"][:12]:
        page.drawString(left + 12, y, f"· {material['name'][:30]}  {material['sha256'][:24]}…")
        y -= 14

    page.setFont(font, 12)
    page.drawRightString(SEAL_BOX[2] - 5, SEAL_BOX[1] + 95, record["unit"]["name"])
    page.drawRightString(SEAL_BOX[2] - 5, SEAL_BOX[1] + 70, record["decided_at"][:10])

    _draw_qr(page, verification_url, left, 70, 96)
    page.setFont(font, 8.5)
    notes = [
        "扫描二维码或访问下方地址核验本决定书：",
        verification_url,
        f"印章编号 {seal_serial}；本决定书附有 SM2 电子签章文件与 PDF 数字签名，",
        "任何修改都会使签名失效。可用本局根证书离线核验。",
    ]
    for i, line in enumerate(notes):
        page.drawString(left + 104, 150 - i * 13, line)
    page.setFont(font, 7)
    page.setFillColorRGB(0.4, 0.4, 0.4)
    from signing.crypto import record_hash

    page.drawString(left, 50, f"审批记录摘要 SHA-256：{record_sha256 or record_hash(record)}")
    page.showPage()
    page.save()
    return out.getvalue()


def file_signer(*, cert_pem: str, private_key, ca_cert_pem: str) -> signers.SimpleSigner:
    der = private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(cert_pem),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(ca_cert_pem)]),
    )


@lru_cache(maxsize=512)
def _asn1_cert(pem: str) -> asn1_x509.Certificate:
    from cryptography import x509

    return asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(pem.encode("ascii")).public_bytes(serialization.Encoding.DER)
    )


@lru_cache(maxsize=64)
def _seal_image(png: bytes) -> PdfImage:
    from PIL import Image

    return PdfImage(Image.open(io.BytesIO(png)))


def letter_sign(*, pdf: bytes, signer, seal_png: bytes, attachments: dict[str, bytes], reason: str,
                location: str, signer_name: str, bytes_reserved: int = SIGNATURE_BYTES_RESERVED) -> bytes:
    """Attach the record and the seal-signature file, then sign PAdES with a visible seal in one revision."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    for name, data in attachments.items():
        embed.embed_file(writer, embed.FileSpec(
            file_spec_string=name, file_name=name,
            embedded_data=embed.EmbeddedFileObject.from_file_data(writer, data=data, mime_type="application/json"),
            description=name, af_relationship=generic.NameObject("/Data"),
        ))
    fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD, on_page=0, box=SEAL_BOX))
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD, subfilter=fields.SigSeedSubFilter.PADES, reason=reason, location=location,
        name=signer_name, md_algorithm="sha256",
    )
    style = StaticStampStyle(background=_seal_image(seal_png), border_width=0, background_opacity=1)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style)
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out, bytes_reserved=bytes_reserved)
    return out.getvalue()


def bare_sign(*, pdf: bytes, signer, seal_png: bytes) -> bytes:
    """pyHanko alone on a pre-rendered PDF (the benchmark's reference)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD, on_page=0, box=SEAL_BOX))
    meta = signers.PdfSignatureMetadata(field_name=SEAL_FIELD, subfilter=fields.SigSeedSubFilter.PADES)
    style = StaticStampStyle(background=_seal_image(seal_png), border_width=0, background_opacity=1)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, stamp_style=style).sign_pdf(
        writer, output=out, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    return out.getvalue()
