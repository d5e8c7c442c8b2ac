"""Inspection of uploaded documents: the type by content, images re-encoded without metadata, PDFs without scripts."""
import io
import re
import warnings
from dataclasses import dataclass

import filetype
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from core.errors import ServiceError

try:  # iPhone photos
    import pillow_heif

    pillow_heif.register_heif_opener()
except ImportError:  # pragma: no cover - listed in requirements.txt
    pillow_heif = None

MIME_TO_TYPE = {
    "image/jpeg": "jpeg",
    "image/png": "png",
    "application/pdf": "pdf",
    "image/heic": "heic",
    "image/heif": "heic",
}
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "pdf": "application/pdf"}
MAX_PIXELS = 60_000_000  # a 10 MB file decompressing to more than this is a bomb, not a photo
PDF_MAX_OBJECTS = 50_000
PDF_FORBIDDEN_KEYS = {"/JS", "/JavaScript", "/Launch"}
PDF_FORBIDDEN_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm"}
PDF_RAW_SCRIPT = re.compile(rb"/(JavaScript|JS|Launch)(?![A-Za-z0-9])")


@dataclass
class CleanFile:
    detected_type: str  # what the upload was: jpeg, png, pdf, heic
    file_type: str  # what is stored: jpeg, png, pdf (HEIC becomes JPEG)
    content: bytes


def refuse(message, code: str) -> ServiceError:
    return ServiceError(message, code=code, status_code=400)


def detect_type(head: bytes) -> str | None:
    kind = filetype.guess(head)
    return MIME_TO_TYPE.get(kind.mime) if kind else None


def _reencode_image(data: bytes, detected: str) -> CleanFile:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as source:
                if source.width * source.height > MAX_PIXELS:
                    raise refuse(_("图片尺寸过大，请压缩后再上传。"), "image_too_large")
                source.load()
                image = ImageOps.exif_transpose(source)  # keep the orientation, then drop the EXIF itself
    except ServiceError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise refuse(_("图片尺寸过大，请压缩后再上传。"), "image_too_large") from None
    except Exception:
        raise refuse(_("图片已损坏或无法识别，请重新拍照上传。"), "image_unreadable") from None
    out = io.BytesIO()
    has_alpha = "A" in image.getbands() or "transparency" in image.info
    image.info = {}  # nothing of the original's metadata (EXIF, GPS, XMP, comments) is carried over
    if detected == "png":
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA" if has_alpha else "RGB")
        image.save(out, format="PNG")
        return CleanFile(detected_type=detected, file_type="png", content=out.getvalue())
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    image.save(out, format="JPEG", quality=88, exif=b"")
    return CleanFile(detected_type=detected, file_type="jpeg", content=out.getvalue())


def _pdf_has_script(reader) -> bool:
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            node = node.get_object()
        visited += 1
        if visited > PDF_MAX_OBJECTS:
            raise refuse(_("PDF 文件结构过于复杂，无法检查，请另存为普通 PDF 后上传。"), "pdf_too_complex")
        if isinstance(node, DictionaryObject):  # includes streams
            for key, value in node.items():
                if key in PDF_FORBIDDEN_KEYS:
                    return True
                if key == "/S" and value in PDF_FORBIDDEN_ACTIONS:
                    return True
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return False


def _check_pdf(data: bytes) -> CleanFile:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise refuse(_("不接受加密的 PDF，请去掉密码后再上传。"), "pdf_encrypted")
        if len(reader.pages) < 1:
            raise refuse(_("PDF 文件没有页面。"), "pdf_unreadable")
        scripted = _pdf_has_script(reader)
    except ServiceError:
        raise
    except Exception:
        raise refuse(_("PDF 文件已损坏或无法解析，请重新生成后上传。"), "pdf_unreadable") from None
    if scripted or PDF_RAW_SCRIPT.search(data):
        raise refuse(_("PDF 文件含有脚本或自动执行的动作，出于安全原因不能接受。请打印为普通 PDF 或拍照上传。"),
                     "pdf_active_content")
    return CleanFile(detected_type="pdf", file_type="pdf", content=data)


def material_inspect(*, data: bytes, accepted_types: list[str] | None = None) -> CleanFile:
    """Decide the type from the bytes and return what may be stored, or raise a clear 400."""
    detected = detect_type(data[:8192])
    if detected is None:
        raise refuse(_("不支持的文件类型：只接受 JPEG、PNG、HEIC 照片或 PDF 文件（按文件内容判断，而非文件名）。"),
                     "file_type_not_allowed")
    if accepted_types and detected not in accepted_types:
        raise refuse(_("该材料只接受以下类型：%(types)s。") % {"types": "、".join(t.upper() for t in accepted_types)},
                     "file_type_not_accepted")
    if detected == "pdf":
        return _check_pdf(data)
    return _reencode_image(data, detected)
