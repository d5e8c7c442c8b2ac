"""Mainland mobile numbers, national ID numbers (GB 11643-1999 check digit) and people's names."""
import datetime
import re
import unicodedata

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CHECK_CHARS = "10X98765432"


def id_check_char(first17: str) -> str:
    return _CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=False)) % 11]


_ID_FORM = re.compile(r"[0-9]{17}[0-9X]", re.ASCII)
_EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def _ascii_digit(char: str) -> str:
    digit = unicodedata.decimal(char, None)
    return str(digit) if digit is not None else char


def normalize_id_number(value: str) -> str:
    """The one stored and looked-up form: NFKC (fullwidth ３ → 3, ｘ → x), any script's decimal digit as
    its ASCII digit (Arabic-Indic ٣ → 3), upper case, no spaces. Whatever else is left fails validation."""
    text = unicodedata.normalize("NFKC", value or "")
    return "".join(_ascii_digit(char) for char in text if not char.isspace()).upper()


def validate_id_number(value: str) -> None:
    number = normalize_id_number(value)
    if not _ID_FORM.fullmatch(number):
        raise ValidationError(_("身份证号码应为18位（最后一位可以是X）。"), code="id_format")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth_date") from None
    if not _EARLIEST_BIRTH <= birth <= timezone.localdate():
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="id_birth_date")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位不正确，请核对后重新输入。"), code="id_check_digit")


def mask_id_number(value: str) -> str:
    """3717**********1234: enough to recognise, not enough to misuse."""
    if not value:
        return ""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(name: str) -> str:
    """张三丰 → 张**: enough for an agent to greet, not enough to identify in a screenshot."""
    name = (name or "").strip()
    if not name:
        return "***"
    return name[0] + "*" * max(1, len(name) - 1)


def normalize_mobile(value: str) -> str:
    """Return the 11-digit national form of a mainland mobile number, or raise ValidationError."""
    raw = (value or "").strip().replace(" ", "").replace("-", "")
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("请输入正确的11位手机号码。"), code="phone_format") from None
    valid = (
        parsed.country_code == 86
        and phonenumbers.is_valid_number(parsed)
        and phonenumbers.number_type(parsed) in (phonenumbers.PhoneNumberType.MOBILE,
                                                 phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    )
    if not valid:
        raise ValidationError(_("请输入正确的11位手机号码。"), code="phone_format")
    return str(parsed.national_number)


def mask_mobile(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if value and len(value) == 11 else value


# Unicode format characters (zero-width joiners and spaces, bidi embeddings, overrides and isolates, soft
# hyphen...) change how a name looks, not what it says: a name holding one could pass for another person's.
NAME_MAX_LENGTH = 40


def normalize_person_name(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value or "").split())


def validate_person_name(value: str) -> None:
    """A person's name as written on an ID card: letters (any script), and the marks, spaces, middle dots
    and hyphens names use; no control or format characters, no digits or symbols."""
    name = normalize_person_name(value)
    if not name or len(name) > NAME_MAX_LENGTH:
        raise ValidationError(_("请输入姓名（最多 %(max)d 个字）。") % {"max": NAME_MAX_LENGTH}, code="name_length")
    allowed_punctuation = set(" ·・.-'’")
    for char in name:
        category = unicodedata.category(char)
        if not (category.startswith("L") or category in ("Mn", "Mc") or char in allowed_punctuation):
            raise ValidationError(_("姓名中含有不允许的字符。"), code="name_characters")
    if not any(unicodedata.category(char).startswith("L") for char in name):
        raise ValidationError(_("姓名中含有不允许的字符。"), code="name_characters")
