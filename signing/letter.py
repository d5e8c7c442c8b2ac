"""The decision letter: rendered in Chinese with reportlab, sealed visibly and signed PAdES (ECDSA P-256) by pyHanko."""
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

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
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph

from signing.cjk_font import cjk_font

SEAL_FIELD = "BureauSeal"
SEAL_SIZE = 120  # the round seal's diameter in points: 4.2 cm, an official seal's size on paper
RED = (0.78, 0.06, 0.1)
WIDTH, HEIGHT = A4
LEFT, RIGHT = 70, WIDTH - 70
LABEL_WIDTH = 70
FOOTER_TOP = 170  # the QR code and the notes stay below this line; text and the seal stay above it
SIGNATURE_WIDTH = 200  # the unit name and date, centred under the seal
# Room for the CMS blob, counted in hex digits: ECDSA signature + seal and CA certificates + signed attributes come
# to under 2 kB DER, the signature timestamp token (with the TSA's certificate) to another 1.2 kB or so. A PKCS#11
# signer's CMS is larger (the token's certificate objects ride along): more room.
SIGNATURE_BYTES_RESERVED = 8192
PKCS11_BYTES_RESERVED = 12288

DECISION_TITLES = {"approve": "医疗保障业务准予办理决定书", "reject": "医疗保障业务不予办理决定书"}
DECISION_WORDS = {"approve": "准予办理", "reject": "不予办理"}


@dataclass(frozen=True)
class RenderedLetter:
    """The unsigned letter and where its seal goes (the page and box the layout left for it)."""

    pdf: bytes
    seal_page: int
    seal_box: tuple[float, float, float, float]


@lru_cache(maxsize=4)
def _font_named(path: str, index: int) -> str:
    name = f"LetterCJK-{hashlib.sha256(f'{path}#{index}'.encode()).hexdigest()[:8]}"
    pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    return name


def letter_font() -> str:
    """The registered name of the CJK font in use (signing.cjk_font)."""
    path, index = cjk_font()
    return _font_named(str(path), index)


def _style(font: str, size: float, leading: float, **extra) -> ParagraphStyle:
    # wordWrap="CJK": break between any two hanzi, keeping Chinese punctuation off the start of a line.
    return ParagraphStyle(f"letter-{size}", fontName=font, fontSize=size, leading=leading, wordWrap="CJK", **extra)


def _text(value) -> str:
    return escape(str(value))


class _Layout:
    """A cursor down the page: paragraphs wrap within the text box and continue on a new page above the footer."""

    def __init__(self, page, font: str, footer):
        self.page, self.font, self.footer = page, font, footer
        self.page_index, self.y = 0, HEIGHT - 175

    def new_page(self) -> None:
        self.footer(self.page)
        self.page.showPage()
        self.page_index, self.y = self.page_index + 1, HEIGHT - 80

    def paragraph(self, paragraph: Paragraph, *, x: float = LEFT, width: float = RIGHT - LEFT, gap: float = 0):
        while paragraph is not None:
            _, height = paragraph.wrap(width, self.y - FOOTER_TOP)
            if self.y - height >= FOOTER_TOP:
                paragraph.drawOn(self.page, x, self.y - height)
                self.y -= height + gap
                return
            parts = paragraph.split(width, self.y - FOOTER_TOP)
            if len(parts) < 2 and self.y < HEIGHT - 80:
                self.new_page()
                continue
            if len(parts) < 2:  # taller than a whole page and unsplittable: nothing better than to draw it
                paragraph.drawOn(self.page, x, FOOTER_TOP)
                self.new_page()
                return
            parts[0].wrap(width, self.y - FOOTER_TOP)
            parts[0].drawOn(self.page, x, self.y - parts[0].height)
            self.new_page()
            paragraph = parts[1]

    def row(self, label: str, value: str, style: ParagraphStyle) -> None:
        value_paragraph = Paragraph(_text(value), style)
        _, height = value_paragraph.wrap(RIGHT - LEFT - LABEL_WIDTH, self.y - FOOTER_TOP)
        if self.y - height < FOOTER_TOP:
            self.new_page()
        label_paragraph = Paragraph(_text(f"{label}："), style)
        _, label_height = label_paragraph.wrap(LABEL_WIDTH, self.y - FOOTER_TOP)
        label_paragraph.drawOn(self.page, LEFT, self.y - label_height)
        self.paragraph(value_paragraph, x=LEFT + LABEL_WIDTH, width=RIGHT - LEFT - LABEL_WIDTH, gap=4)

    def signature(self, unit_name: str, date: str) -> tuple[int, tuple[float, float, float, float]]:
        """The unit name and the date, centred under the seal (骑年盖月): returns the seal's page and box."""
        style = _style(self.font, 12, 18, alignment=TA_CENTER)
        block = [Paragraph(_text(unit_name), style), Paragraph(_text(date), style)]
        heights = [p.wrap(SIGNATURE_WIDTH, HEIGHT)[1] for p in block]
        if self.y - 8 - max(SEAL_SIZE, sum(heights)) < FOOTER_TOP:
            self.new_page()
        centre_x, centre_y = RIGHT - SIGNATURE_WIDTH / 2, self.y - 8 - SEAL_SIZE / 2
        top = centre_y + sum(heights) / 2
        for paragraph, height in zip(block, heights, strict=True):
            paragraph.drawOn(self.page, centre_x - SIGNATURE_WIDTH / 2, top - height)
            top -= height
        radius = SEAL_SIZE / 2
        return self.page_index, (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius)


def _draw_qr(page, url: str, x: float, y: float, size: float) -> None:
    """The QR code as a 1-pixel-per-module image. A fixed mask skips qrcode's search over all eight masks."""
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


def _footer(*, font: str, verification_url: str, seal_serial: str, record_sha256: str):
    notes = "<br/>".join(_text(line) for line in (
        "扫描二维码或访问下方地址核验本决定书：", verification_url, f"印章编号 {seal_serial}",
        "本决定书附有 SM2 电子签章文件与 PDF 数字签名，任何修改都会使签名失效。", "可用本局根证书离线核验。"))

    def draw(page) -> None:
        _draw_qr(page, verification_url, LEFT, 60, 96)
        paragraph = Paragraph(notes, _style(font, 8.5, 13))
        _, height = paragraph.wrap(RIGHT - LEFT - 104, FOOTER_TOP - 60)
        paragraph.drawOn(page, LEFT + 104, 156 - height)
        page.setFont(font, 7)
        page.setFillColorRGB(0.4, 0.4, 0.4)
        page.drawString(LEFT, 45, f"审批记录摘要 SHA-256：{record_sha256}")
        page.setFillColorRGB(0, 0, 0)

    return draw


def _header(page, *, font: str, record: dict, bureau_name: str, verification_code: str) -> None:
    page.setFont(font, 13)
    page.drawCentredString(WIDTH / 2, HEIGHT - 80, bureau_name)
    page.setFont(font, 20)
    page.setFillColorRGB(*RED)
    page.drawCentredString(WIDTH / 2, HEIGHT - 112, DECISION_TITLES.get(record["decision"], "决定书"))
    page.setFillColorRGB(0, 0, 0)
    page.setStrokeColorRGB(*RED)
    page.setLineWidth(1.2)
    page.line(LEFT, HEIGHT - 126, RIGHT, HEIGHT - 126)
    page.setFont(font, 10)
    page.drawRightString(RIGHT, HEIGHT - 142, f"核验码：{verification_code}    案件编号：{record['case_id']}")


def _rows(record: dict, resident_name: str) -> list[tuple[str, str]]:
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
    return rows


def letter_render(*, record: dict, resident_name: str, verification_code: str, verification_url: str,
                  bureau_name: str, seal_serial: str, record_sha256: str | None = None) -> RenderedLetter:
    """The unsigned letter. Everything shown comes from the record, except the resident's full name.
    `record_sha256`: the record's hash when the caller has computed it."""
    from signing.crypto import record_hash

    font = letter_font()
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, pageCompression=1, invariant=0)
    page.setTitle(DECISION_TITLES.get(record["decision"], "决定书"))
    page.setAuthor(record["unit"]["name"])
    page.setSubject(f"verification-code:{verification_code}")
    page.setCreator("医保视频办 signing")
    _header(page, font=font, record=record, bureau_name=bureau_name, verification_code=verification_code)
    layout = _Layout(page, font, _footer(font=font, verification_url=verification_url, seal_serial=seal_serial,
                                         record_sha256=record_sha256 or record_hash(record)))
    for label, value in _rows(record, resident_name):
        layout.row(label, value, _style(font, 11, 18))
    layout.y -= 10
    word = DECISION_WORDS.get(record["decision"], record["decision"])
    body = (f"经审核，申请人申请办理的“{record['item']['name']}”事项，决定{word}。"
            + (f"理由：{record['reason']}" if record.get("reason") else ""))
    layout.paragraph(Paragraph(_text(body), _style(font, 12, 20)), gap=8)
    layout.paragraph(Paragraph("审核材料（SHA-256 摘要）：", _style(font, 10, 16)))
    for material in record["materials"]:
        layout.paragraph(Paragraph(_text(f"· {material['name']}  {material['sha256'][:24]}…"),
                                   _style(font, 10, 14)), x=LEFT + 12, width=RIGHT - LEFT - 12)
    seal_page, seal_box = layout.signature(record["unit"]["name"], record["decided_at"][:10])
    layout.footer(page)
    page.showPage()
    page.save()
    return RenderedLetter(pdf=out.getvalue(), seal_page=seal_page, seal_box=seal_box)


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
    return PdfImage(Image.open(io.BytesIO(png)))


def _seal_field(writer, letter: RenderedLetter) -> None:
    fields.append_signature_field(writer, fields.SigFieldSpec(SEAL_FIELD, on_page=letter.seal_page,
                                                              box=letter.seal_box))


def letter_sign(*, letter: RenderedLetter, signer, seal_png: bytes, attachments: dict[str, bytes], reason: str,
                location: str, signer_name: str, bytes_reserved: int = SIGNATURE_BYTES_RESERVED,
                timestamper=None, timestamped: bool = True) -> bytes:
    """Attach the record and the seal-signature file, then sign PAdES with a visible seal in one revision, with a
    signature timestamp (PAdES B-T) from `timestamper` (default: signing.tsa's, the configured TSA; none when not
    `timestamped`: tests make letters as they were before, or as a forger without a TSA would)."""
    from pyhanko.sign.timestamps import TimestampRequestError

    from signing import tsa

    writer = IncrementalPdfFileWriter(io.BytesIO(letter.pdf), strict=False)
    for name, data in attachments.items():
        embed.embed_file(writer, embed.FileSpec(
            file_spec_string=name, file_name=name,
            embedded_data=embed.EmbeddedFileObject.from_file_data(writer, data=data, mime_type="application/json"),
            description=name, af_relationship=generic.NameObject("/Data"),
        ))
    _seal_field(writer, letter)
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD, subfilter=fields.SigSeedSubFilter.PADES, reason=reason, location=location,
        name=signer_name, md_algorithm="sha256",
    )
    style = StaticStampStyle(background=_seal_image(seal_png), border_width=0, background_opacity=1)
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style,
                                   timestamper=(timestamper or tsa.timestamper()) if timestamped else None)
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out, bytes_reserved=bytes_reserved)
    except (TimestampRequestError, OSError) as exc:
        raise tsa.unavailable() from exc
    return out.getvalue()


def bare_sign(*, letter: RenderedLetter, signer, seal_png: bytes) -> bytes:
    """pyHanko alone on a pre-rendered letter (the benchmark's reference)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(letter.pdf), strict=False)
    _seal_field(writer, letter)
    meta = signers.PdfSignatureMetadata(field_name=SEAL_FIELD, subfilter=fields.SigSeedSubFilter.PADES)
    style = StaticStampStyle(background=_seal_image(seal_png), border_width=0, background_opacity=1)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer, stamp_style=style).sign_pdf(
        writer, output=out, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    return out.getvalue()
