"""Upload attacks on materials: polyglots, zip bombs, decompression bombs, oversized files, active PDFs,
disguised scripts and path traversal in file names. Each is refused with a clear 400 (or defused), and
nothing of it reaches the disk under a name the attacker chose."""
import io
import os
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from bookings.models import Material
from tests.factories import client_for
from tests.support.security import booking_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload(org, settings, tmp_path):
    from tests.factories import ResidentFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    resident = ResidentFactory()
    booking = booking_at(resident=resident, item_code="C01-01")
    client = client_for(resident)

    def send(content: bytes, name: str = "scan.jpg", content_type: str = "image/jpeg"):
        return client.post(f"/api/v1/bookings/{booking.pk}/materials/",
                           {"requirement": "id_card", "file": SimpleUploadedFile(name, content, content_type)},
                           format="multipart")

    send.booking = booking
    send.media = tmp_path / "media"
    return send


def jpeg(size=(64, 48), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG", **save)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def assert_refused(response, code: str | None = None):
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert body["detail"] and (code is None or body["code"] == code), body


def test_a_plain_photo_is_accepted_and_stored_under_a_random_name(upload):
    response = upload(jpeg(), name="身份证.jpg")
    assert response.status_code == 201, response.content
    [stored] = stored_files(upload.media)
    assert stored.suffix == ".jpeg" and "身份证" not in str(stored)


def test_jpeg_zip_polyglot_is_defused_by_re_encoding(upload):
    polyglot = jpeg() + zip_bytes({"payload.html": b"<script>alert(1)</script>"})
    response = upload(polyglot, name="id.jpg")
    assert response.status_code == 201, response.content
    [stored] = stored_files(upload.media)
    data = stored.read_bytes()
    assert b"PK\x03\x04" not in data and b"<script>" not in data
    assert Image.open(stored).format == "JPEG"


def test_zip_bomb_is_refused_without_being_unpacked(upload):
    bomb = zip_bytes({f"layer{n}.txt": b"\0" * (10 * 1024 * 1024) for n in range(3)})  # 30 MB inside ~30 KB
    assert len(bomb) < 1024 * 1024
    assert_refused(upload(bomb, name="scan.jpg"), "file_type_not_allowed")
    assert_refused(upload(bomb, name="scan.zip", content_type="application/zip"), "file_type_not_allowed")
    assert stored_files(upload.media) == []


def test_decompression_bomb_image_is_refused(upload):
    out = io.BytesIO()
    Image.new("1", (12000, 12000)).save(out, format="PNG")  # 144 megapixels in a small file
    assert len(out.getvalue()) < 2 * 1024 * 1024
    assert_refused(upload(out.getvalue(), name="scan.png", content_type="image/png"), "image_too_large")
    assert stored_files(upload.media) == []


def test_oversized_file_is_refused(upload, settings):
    settings.MATERIAL_MAX_BYTES = 1024 * 1024
    big = jpeg() + os.urandom(1024 * 1024 + 1)
    assert len(big) > settings.MATERIAL_MAX_BYTES
    response = upload(big)
    assert response.status_code in (400, 413), response.status_code
    assert stored_files(upload.media) == []


@pytest.mark.parametrize("content,name,content_type", [
    (b"<html><script>alert(document.cookie)</script></html>", "scan.jpg", "image/jpeg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "scan.svg", "image/svg+xml"),
    (b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 200, "scan.pdf", "application/pdf"),
    (b"#!/bin/sh\nrm -rf /\n", "scan.png", "image/png"),
])
def test_disguised_non_documents_are_refused_by_content(upload, content, name, content_type):
    assert_refused(upload(content, name=name, content_type=content_type), "file_type_not_allowed")
    assert stored_files(upload.media) == []


def test_pdf_with_javascript_is_refused(upload):
    pdf = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R/OpenAction 4 0 R>>endobj\n"
           b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
           b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
           b"4 0 obj<</S/JavaScript/JS(app.alert('x'))>>endobj\n"
           b"trailer<</Root 1 0 R>>\n%%EOF")
    assert_refused(upload(pdf, name="scan.pdf", content_type="application/pdf"))
    assert stored_files(upload.media) == []


@pytest.mark.parametrize("name", ["../../../../etc/cron.d/evil.jpg", "..\\..\\..\\windows\\evil.jpg",
                                  "/var/lib/postgresql/evil.jpg", "a/../../b.jpg", "evil\x00.php.jpg",
                                  "....//....//evil.jpg", "%2e%2e%2fevil.jpg"])
def test_path_traversal_in_the_file_name_never_reaches_the_disk(upload, name):
    response = upload(jpeg(), name=name)
    assert response.status_code in (201, 400), response.status_code
    for stored in stored_files(upload.media):
        assert stored.resolve().is_relative_to(upload.media.resolve())
        assert stored.parent.name == str(upload.booking.pk) and stored.suffix == ".jpeg"
        assert "evil" not in stored.name
    for material in Material.objects.filter(booking=upload.booking):
        assert "/" not in material.original_name and "\x00" not in material.original_name
        assert not Path(material.file.name).is_absolute() and ".." not in material.file.name
