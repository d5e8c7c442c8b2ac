"""Login by one-time code, resident profiles, staff login."""
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import attempts
from accounts.lockout import lockout_message, lockout_seconds
from accounts.models import OneTimeCode, User
from accounts.sms import send_sms
from accounts.validators import normalize_id_number, normalize_mobile
from core.errors import ServiceError
from core.logging import get_logger

log = get_logger(__name__)


def otp_request(*, phone: str) -> OneTimeCode:
    """Create a fresh code for the phone, replacing any earlier one, and send it by SMS."""
    phone = normalize_mobile(phone)
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    with transaction.atomic():
        OneTimeCode.objects.filter(phone=phone, used_at__isnull=True).update(used_at=now)
        otp = OneTimeCode.objects.create(
            phone=phone,
            code_hash=make_password(code),
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
    minutes = settings.OTP_TTL_SECONDS // 60
    send_sms(phone=phone, message=_("您的医保视频办登录验证码是 %(code)s，%(minutes)d 分钟内有效。请勿告诉他人。")
             % {"code": code, "minutes": minutes})
    log.info("otp.requested", otp_id=otp.pk)
    return otp


def otp_verify(*, phone: str, code: str) -> User:
    """Check the code; on success return the resident (created on first login)."""
    phone = normalize_mobile(phone)
    now = timezone.now()
    otp = OneTimeCode.objects.filter(phone=phone, used_at__isnull=True).order_by("-created_at").first()
    if otp is None:
        raise ServiceError(_("没有有效的验证码，请先获取验证码。"), code="otp_missing")
    if otp.expires_at <= now:
        raise ServiceError(_("验证码已过期，请重新获取。"), code="otp_expired")
    this_code = OneTimeCode.objects.filter(pk=otp.pk)
    if not attempts.claim_try(this_code, limit=settings.OTP_MAX_ATTEMPTS):
        raise ServiceError(_("错误次数过多，该验证码已失效，请重新获取。"), code="otp_locked", status_code=429)
    if not check_password((code or "").strip(), otp.code_hash):
        left = attempts.tries_left(this_code, limit=settings.OTP_MAX_ATTEMPTS)
        if left <= 0:
            raise ServiceError(_("错误次数过多，该验证码已失效，请重新获取。"), code="otp_locked", status_code=429)
        raise ServiceError(_("验证码不正确，还可以再试 %(left)d 次。") % {"left": left}, code="otp_wrong",
                           extra={"attempts_left": left})
    with transaction.atomic():
        # Single use even under concurrent verifies of the right code: only one request finds it unused.
        if not attempts.use_up(this_code, now=now):
            raise ServiceError(_("该验证码已使用，请重新获取。"), code="otp_used")
        user, _created = User.objects.get_or_create(
            phone=phone, defaults={"username": f"r{phone}", "role": User.Role.RESIDENT}
        )
    if not user.is_active:
        raise ServiceError(_("该账户已停用，请联系服务站。"), code="account_disabled", status_code=403)
    return user


def resident_profile_update(*, user: User, real_name=None, id_number=None, insurance_scheme=None,
                            home_county=None, home_township=None) -> User:
    if real_name is not None:
        user.real_name = real_name.strip()
    if id_number is not None:
        user.id_number = normalize_id_number(id_number) or None
    if insurance_scheme is not None:
        user.insurance_scheme = insurance_scheme
    if home_township is not None:
        home_county = home_township.parent
        user.home_township = home_township
    if home_county is not None:
        user.home_county = home_county
        if user.home_township and user.home_township.parent_id != home_county.pk:
            user.home_township = None
    user.full_clean(exclude=["password", "username"])
    user.save()
    return user


def staff_authenticate(*, request, username: str, password: str) -> User:
    """Username + password with lock-out (django-axes) after repeated failures."""
    user = authenticate(request=request, username=username, password=password)
    if getattr(request, "axes_locked_out", False):
        raise ServiceError(lockout_message(), code="locked_out", status_code=429,
                           extra={"retry_after": lockout_seconds()})
    # A resident's account answers exactly like a wrong password: the answer must not tell whether a
    # guessed password was right (residents log in by phone code and hold no usable password anyway).
    if user is None or user.role == User.Role.RESIDENT:
        raise ServiceError(_("用户名或密码不正确。"), code="bad_credentials", status_code=401)
    return user
