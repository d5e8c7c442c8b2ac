"""Proxy booking (代办): a family member or a station agent books for a resident, named by ID number."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import normalize_id_number, normalize_mobile, validate_id_number
from core.errors import Conflict, ServiceError


def resident_identity_clean(identity: dict | None) -> dict | None:
    """The resident a request names, as compared between retries of one request (the idempotency fingerprint)."""
    if identity is None:
        return None
    return {"real_name": identity["real_name"].strip(), "id_number": identity["id_number"].strip().upper(),
            "phone": (identity.get("phone") or "").strip()}


def booking_resident(*, booked_by: User, identity: dict | None) -> User:
    """Whom a booking is for: the resident named by `identity` (代办), else the one booking. Staff always book
    for someone, so they must name the resident."""
    if identity is not None:
        return resident_for_proxy(**identity)
    if not booked_by.is_resident:
        raise ServiceError(_("工作人员代办预约时请填写参保人姓名和身份证号。"), code="resident_required")
    return booked_by


def resident_for_proxy(*, real_name: str, id_number: str, phone: str | None = None) -> User:
    """Find the resident by ID number (checking the name), or create their account (a phone is then needed)."""
    real_name = (real_name or "").strip()
    if not real_name:
        raise ServiceError(_("请填写参保人姓名。"), code="name_required")
    id_number = normalize_id_number(id_number)
    try:
        validate_id_number(id_number)
    except DjangoValidationError as exc:
        raise ServiceError(exc.messages[0], code="id_number_invalid") from None
    resident = User.objects.filter(id_number=id_number).first()
    if resident is not None:
        if not resident.is_resident:
            raise ServiceError(_("该身份证号对应的账户不是参保人账户。"), code="not_a_resident")
        if resident.real_name and resident.real_name != real_name:
            raise ServiceError(_("姓名与身份证号不一致，请核对后重新输入。"), code="identity_mismatch")
        if not resident.real_name:
            User.objects.filter(pk=resident.pk).update(real_name=real_name)
            resident.real_name = real_name
        return resident
    if not phone:
        raise ServiceError(_("该参保人尚未注册，请填写参保人本人的手机号以便接收通知。"), code="phone_required")
    try:
        phone = normalize_mobile(phone)
    except DjangoValidationError as exc:
        raise ServiceError(exc.messages[0], code="phone_invalid") from None
    if User.objects.filter(phone=phone).exists():
        raise ServiceError(_("该手机号已被其他账户使用，请让参保人登录后在“我的资料”中填写身份证号，或更换手机号。"),
                           code="phone_in_use")
    try:
        with transaction.atomic():
            return User.objects.create(username=f"r{phone}", role=User.Role.RESIDENT, phone=phone,
                                       real_name=real_name, id_number=id_number)
    except IntegrityError:
        resident = User.objects.filter(id_number=id_number).first()
        if resident is None:
            raise Conflict(_("该手机号已被其他账户使用。"), code="phone_in_use") from None
        return resident
