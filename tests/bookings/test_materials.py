"""Materials: type by content, re-encoded images without metadata, PDFs without scripts, limits, who may read."""
import hashlib
import io

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from bookings import selectors, services
from bookings.models import Booking, Material
from stations.models import Unit
from tests.factories import ResidentFactory, client_for, staff_at
from tests.support.bookings import book, local

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


@pytest.fixture
def booking(clock, station, item, resident_api):
    return Booking.objects.get(pk=book(resident_api, station, item, local(3, 9, 10)).json()["id"])


@pytest.fixture
def code(item):
    return item.requirements.filter(mandatory=True).order_by("sort").first().code


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Apple"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (35.0, 15.0, 7.0)
    gps[3], gps[4] = "E", (115.0, 28.0, 1.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "home address secret")
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 255, 128)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def heic() -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 64), (10, 200, 10))).save(out, quality=60)
    return out.getvalue()


def pdf(*, js: bool = False, launch: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    if js:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('hi');")})
    if launch:
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client, booking, code, name, content):
    return client.post(f"/api/v1/bookings/{booking.pk}/materials/",
                       {"requirement": code, "file": SimpleUploadedFile(name, content)}, format="multipart")


def test_jpeg_is_reencoded_without_gps(booking, code, resident_api):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the fixture really has GPS
    response = upload(resident_api, booking, code, "photo.png", original)  # the name lies; the content decides
    assert response.status_code == 201, response.content
    material = Material.objects.get(pk=response.json()["id"])
    stored = material.file.read()
    assert material.file_type == "jpeg" and material.sha256 == hashlib.sha256(stored).hexdigest()
    assert not Image.open(io.BytesIO(stored)).getexif() and b"Exif" not in stored
    assert material.file.name.endswith(".jpeg") and "photo" not in material.file.name
    detail = resident_api.get(f"/api/v1/bookings/{booking.pk}/").json()
    assert code not in detail["missing_mandatory"]
    assert selectors.booking_missing_mandatory(booking) == [
        r for r in booking.item.requirements.filter(mandatory=True).order_by("sort") if r.code != code]


def test_png_metadata_dropped_and_heic_becomes_jpeg(booking, code, resident_api):
    png = upload(resident_api, booking, code, "a.png", png_with_text())
    assert png.status_code == 201 and png.json()["file_type"] == "png"
    stored = Material.objects.get(pk=png.json()["id"]).file.read()
    assert b"home address" not in stored and Image.open(io.BytesIO(stored)).mode == "RGBA"
    photo = upload(resident_api, booking, code, "IMG_0001.HEIC", heic())
    assert photo.status_code == 201, photo.content
    assert photo.json()["file_type"] == "jpeg"
    assert Image.open(Material.objects.get(pk=photo.json()["id"]).file).format == "JPEG"


def test_clean_pdf_is_accepted(booking, code, resident_api):
    response = upload(resident_api, booking, code, "scan.pdf", pdf())
    assert response.status_code == 201 and response.json()["file_type"] == "pdf"


@pytest.mark.parametrize("content,name,status,code_expected", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 400, "photo.jpg", 400, "file_type_not_allowed"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * (30 * 1024 * 1024), "big.jpg", 413, "file_too_large"),
    (None, "js.pdf", 400, "pdf_active_content"),
    ("launch", "launch.pdf", 400, "pdf_active_content"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", "broken.pdf", 400, "pdf_unreadable"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"not really a jpeg" * 20, "fake.jpg", 400, "image_unreadable"),
])
def test_forged_uploads_are_refused(booking, code, resident_api, content, name, status, code_expected):
    if content is None:
        content = pdf(js=True)
    elif content == "launch":
        content = pdf(launch=True)
    response = upload(resident_api, booking, code, name, content)
    assert response.status_code == status, response.content
    assert response.json()["code"] == code_expected and response.json()["detail"]
    assert not Material.objects.exists()


def test_at_most_twenty_per_booking(booking, code):
    tiny = io.BytesIO()
    Image.new("L", (4, 4)).save(tiny, format="PNG")
    for _ in range(20):
        services.material_add(booking=booking, requirement=code, uploaded_file=SimpleUploadedFile("x.png",
                              tiny.getvalue()), uploaded_by=booking.resident, source=Material.Source.UPLOAD)
    with pytest.raises(Exception) as refused:
        services.material_add(booking=booking, requirement=code, uploaded_file=SimpleUploadedFile("x.png",
                              tiny.getvalue()), uploaded_by=booking.resident)
    assert getattr(refused.value, "code", "") == "too_many_materials"
    assert Material.objects.count() == 20


def test_unknown_requirement_and_captured_document(booking, station):
    response = upload(client_for(booking.resident), booking, "no_such_entry", "a.pdf", pdf())
    assert response.status_code == 400 and response.json()["code"] == "requirement_unknown"
    agent = staff_at(station, is_agent=True)
    captured = services.material_add(booking=booking, requirement=None,
                                     uploaded_file=SimpleUploadedFile("cap.pdf", pdf()), uploaded_by=agent,
                                     source=Material.Source.CAPTURE)
    assert captured.source == "capture" and captured.requirement is None


def test_only_the_parties_staff_and_hooks_read_a_file(booking, code, resident_api, station):
    material_id = upload(resident_api, booking, code, "a.pdf", pdf()).json()["id"]
    url = f"/api/v1/bookings/{booking.pk}/materials/{material_id}/file"
    response = resident_api.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == Material.objects.get(pk=material_id).sha256
    assert "no-store" in response["Cache-Control"]
    assert client_for(ResidentFactory()).get(url).status_code == 404
    assert client_for(staff_at(station, is_agent=True)).get(url).status_code == 200
    elsewhere = staff_at(Unit.objects.get(code="371702001-2"), is_agent=True)
    assert client_for(elsewhere).get(url).status_code == 404
    assert client_for(ResidentFactory()).get(f"/api/v1/bookings/{booking.pk + 1}/materials/{material_id}/file"
                                             ).status_code == 404

    def reviewers_of_cases(user, material):
        return user.pk == elsewhere.pk

    selectors.register_material_read_hook(reviewers_of_cases)
    try:
        assert client_for(elsewhere).get(url).status_code == 200
    finally:
        selectors.MATERIAL_READ_HOOKS.remove(reviewers_of_cases)


def test_no_upload_to_a_cancelled_booking(booking, code, resident_api):
    resident_api.post(f"/api/v1/bookings/{booking.pk}/cancel/", {}, format="json")
    response = upload(resident_api, booking, code, "a.pdf", pdf())
    assert response.status_code == 409 and response.json()["code"] == "booking_closed"


def test_pdf_script_hidden_behind_a_name_escape_is_found():
    """/J#61vaScript is /JavaScript to a PDF reader; the object walk sees the decoded name."""
    from bookings.materials import material_inspect

    raw = pdf(js=True).replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")
    with pytest.raises(Exception) as refused:
        material_inspect(data=raw)
    assert refused.value.code == "pdf_active_content"
