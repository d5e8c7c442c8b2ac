"""Materials: documents uploaded for a booking or captured in its call, checked and cleaned before storing."""
import hashlib
import os

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from bookings import selectors
from bookings.conf import booking_setting
from bookings.materials import material_inspect
from bookings.models import ACTIVE_BOOKING_STATUSES, Booking, Material, MaterialRequirement
from core.errors import Conflict, ServiceError
from core.logging import get_logger

log = get_logger(__name__)


def material_add(*, booking: Booking, requirement: MaterialRequirement | str | None, uploaded_file,
                 uploaded_by: User, source: str | None = None) -> Material:
    """Check, clean and store one document for a booking (uploads and documents captured in a call).

    The type is decided from the content; images are re-encoded without metadata (HEIC becomes
    JPEG); PDFs with scripts or launch actions are refused; the SHA-256 of the stored bytes is kept.
    `source` defaults to who uploads: the unit's staff, or a party of the booking.
    """
    if source is None:
        staff = selectors.is_staff_of_unit(user=uploaded_by, unit_id=booking.unit_id)
        source = Material.Source.STAFF if staff else Material.Source.UPLOAD
    if isinstance(requirement, str):
        code = requirement
        requirement = MaterialRequirement.objects.filter(item_id=booking.item_id, code=code).first()
        if requirement is None:
            raise ServiceError(_("该事项的材料清单中没有“%(code)s”。") % {"code": code}, code="requirement_unknown")
    elif requirement is not None and requirement.item_id != booking.item_id:
        raise ServiceError(_("该材料不属于本预约的服务事项。"), code="requirement_unknown")
    max_bytes = booking_setting("MATERIAL_MAX_BYTES")
    size = getattr(uploaded_file, "size", None)
    if size is None or size > max_bytes:
        raise ServiceError(_("文件过大：每个文件不能超过 %(mb)d MB。") % {"mb": max_bytes // (1024 * 1024)},
                           code="file_too_large", status_code=413)
    if size == 0:
        raise ServiceError(_("文件为空。"), code="file_empty")
    if booking.status not in ACTIVE_BOOKING_STATUSES:
        raise ServiceError(_("预约已结束或已取消，不能再上传材料。"), code="booking_closed", status_code=409)
    uploaded_file.seek(0)
    data = uploaded_file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ServiceError(_("文件过大：每个文件不能超过 %(mb)d MB。") % {"mb": max_bytes // (1024 * 1024)},
                           code="file_too_large", status_code=413)
    clean = material_inspect(data=data, accepted_types=requirement.accepted_types if requirement else None)
    original_name = os.path.basename(getattr(uploaded_file, "name", "") or "")[:120]
    with transaction.atomic():
        Booking.objects.select_for_update().filter(pk=booking.pk).values_list("pk", flat=True).first()
        limit = booking_setting("MATERIAL_MAX_PER_BOOKING")
        if Material.objects.filter(booking=booking).count() >= limit:
            raise Conflict(_("每个预约最多上传 %(n)d 个文件。") % {"n": limit}, code="too_many_materials")
        material = Material(booking=booking, requirement=requirement, file_type=clean.file_type,
                            original_name=original_name, size=len(clean.content),
                            sha256=hashlib.sha256(clean.content).hexdigest(), source=source, uploaded_by=uploaded_by)
        material.file.save(f"upload.{clean.file_type}", ContentFile(clean.content), save=False)
        stored_name = material.file.name
        try:
            material.save()
        except Exception:
            default_storage.delete(stored_name)
            raise
    log.info("material.added", booking_id=booking.pk, material_id=material.pk, file_type=clean.file_type,
             source=source)
    return material
