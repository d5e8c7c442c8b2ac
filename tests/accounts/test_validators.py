import pytest
from django.core.exceptions import ValidationError

from accounts.validators import id_check_char, mask_id_number, mask_mobile, normalize_mobile, validate_id_number
from core.logging import redact_text

# A published GB 11643 example: 11010519491231002X
KNOWN_VALID = "11010519491231002X"


def test_check_digit_of_the_standard_example():
    assert id_check_char(KNOWN_VALID[:17]) == "X"
    validate_id_number(KNOWN_VALID)
    validate_id_number(KNOWN_VALID.lower())  # a lower-case x is the same number


@pytest.mark.parametrize("bad, code", [
    ("110105194912310021", "id_check_digit"),   # one digit off
    ("11010519491231002", "id_format"),         # 17 characters
    ("1101051949123100AX", "id_format"),
    ("110105194913310029", "id_birth_date"),    # month 13
])
def test_invalid_id_numbers_are_refused_with_the_reason(bad, code):
    with pytest.raises(ValidationError) as err:
        validate_id_number(bad)
    assert err.value.code == code


def test_masking_keeps_four_and_four():
    assert mask_id_number("371702195803120013") == "3717**********0013"
    assert mask_mobile("13800000001") == "138****0001"


@pytest.mark.parametrize("raw, expected", [("13800000001", "13800000001"), ("+86 138-0000-0001", "13800000001")])
def test_mobile_normalised(raw, expected):
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "05305612867", "23800000001", "abc"])
def test_non_mobile_numbers_refused(raw):
    with pytest.raises(ValidationError):
        normalize_mobile(raw)


def test_logs_never_carry_id_or_phone():
    line = redact_text("resident 371702195803120013 phone 13800000001 booked")
    assert "371702195803120013" not in line and "13800000001" not in line
    assert "3717**********0013" in line and "138****0001" in line
