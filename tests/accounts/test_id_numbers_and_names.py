"""Issue 21 §5 and §6: ID numbers take one normalised form before any check (so one person is one account,
the proxy-booking path included) and must hold a real, past birth date; names are validated as names."""
import datetime

import pytest
from django.core.exceptions import ValidationError

from accounts.models import User
from accounts.validators import id_check_char, normalize_id_number, validate_id_number, validate_person_name
from tests.factories import valid_id_number

FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def with_check(first17: str) -> str:
    return first17 + id_check_char(first17)


@pytest.mark.parametrize("spelling", [
    lambda n: n.translate(FULLWIDTH), lambda n: n.translate(ARABIC_INDIC), lambda n: n.lower(),
    lambda n: f" {n[:6]} {n[6:14]} {n[14:]} ", lambda n: n.translate(str.maketrans("0123456789", "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗")),
])
def test_every_spelling_of_a_number_normalises_to_ascii_digits(spelling):
    number = with_check("37170219600101123")
    assert normalize_id_number(spelling(number)) == number
    validate_id_number(spelling(number))


@pytest.mark.parametrize("number", [
    with_check("37170229990101123"),  # born in 2999
    with_check("37170218990101123"),  # before 1900
    with_check("37170219990230123"),  # 30 February
    "3717021960010112３",  # wrong check digit once normalised
    "37170219600101¹²³X", "37170219600101ⅠⅡⅢX", "3717021960010112\u0000", "371702196001011",
])
def test_invalid_numbers_are_refused_with_a_validation_error(number):
    with pytest.raises(ValidationError):
        validate_id_number(number)


def test_a_number_born_tomorrow_is_refused_and_today_is_accepted():
    today = datetime.date.today()
    validate_id_number(with_check(f"371702{today:%Y%m%d}123"))
    with pytest.raises(ValidationError):
        validate_id_number(with_check(f"371702{today + datetime.timedelta(days=2):%Y%m%d}123"))


@pytest.mark.django_db
def test_the_profile_stores_the_normalised_number(resident, resident_api):
    number = valid_id_number(birth="19700101")
    response = resident_api.patch("/api/v1/me", {"id_number": number.translate(FULLWIDTH)}, format="json")
    assert response.status_code == 200, response.content
    resident.refresh_from_db()
    assert resident.id_number == number


@pytest.mark.django_db
def test_a_fullwidth_number_taken_by_another_resident_is_a_conflict_not_a_second_person(resident, resident_api):
    from tests.factories import ResidentFactory

    other = ResidentFactory()
    response = resident_api.patch("/api/v1/me", {"id_number": other.id_number.translate(ARABIC_INDIC)}, format="json")
    assert 400 <= response.status_code < 500
    assert User.objects.filter(id_number=other.id_number).count() == 1


@pytest.mark.django_db
def test_a_proxy_booking_with_a_fullwidth_number_books_for_the_same_resident(org, resident):
    from bookings.services import resident_for_proxy

    found = resident_for_proxy(real_name=resident.real_name, id_number=resident.id_number.translate(FULLWIDTH))
    assert found.pk == resident.pk
    found = resident_for_proxy(real_name=resident.real_name, id_number=resident.id_number.translate(ARABIC_INDIC))
    assert found.pk == resident.pk
    assert User.objects.filter(role=User.Role.RESIDENT).count() == 1


@pytest.mark.parametrize("name", ["张秀英", "欧阳 娜娜", "阿依古丽·买买提", "Zoë O'Neil", "Jean-Luc", "ｚｈａｎｇ"])
def test_real_names_are_accepted(name):
    validate_person_name(name)


@pytest.mark.parametrize("name", [
    "\u200b\u200b", "\u200d", "\u202e张三", "张\u202d三", "张\u2066三\u2069", "\u061c", "张\u00ad三", "",
    "   ", "张三\u0000", "张三1", "<script>", "张" * 41, "\u0301\u0301",
])
def test_names_of_format_characters_bidi_controls_or_symbols_are_refused(name):
    with pytest.raises(ValidationError):
        validate_person_name(name)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\u202eneila", "张\u200d三"])
def test_the_profile_refuses_such_names_and_keeps_the_old_one(resident, resident_api, name):
    before = resident.real_name
    response = resident_api.patch("/api/v1/me", {"real_name": name}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid", response.content
    resident.refresh_from_db()
    assert resident.real_name == before


@pytest.mark.django_db
def test_a_normalised_name_is_stored(resident, resident_api):
    response = resident_api.patch("/api/v1/me", {"real_name": " 欧阳  娜娜 "}, format="json")
    assert response.status_code == 200
    resident.refresh_from_db()
    assert resident.real_name == "欧阳 娜娜"


@pytest.mark.django_db
def test_the_data_migration_normalises_stored_numbers_and_leaves_clashes(org):
    """accounts 0004: stored spellings take the normalised form; a clash with another account is left
    for a person to merge; residents' passwords become unusable."""
    import importlib

    from django.apps import apps

    from tests.factories import ResidentFactory

    migration = importlib.import_module("accounts.migrations.0004_normalise_id_numbers_resident_passwords")
    fullwidth, clash, holder = ResidentFactory(), ResidentFactory(), ResidentFactory()
    number = fullwidth.id_number
    User.objects.filter(pk=fullwidth.pk).update(id_number=number.translate(FULLWIDTH))
    User.objects.filter(pk=clash.pk).update(id_number=holder.id_number.translate(ARABIC_INDIC))
    holder.set_password("resident-had-one-1")
    holder.save()
    migration.normalise(apps, None)
    assert User.objects.get(pk=fullwidth.pk).id_number == number
    assert User.objects.get(pk=clash.pk).id_number == holder.id_number.translate(ARABIC_INDIC)
    assert not User.objects.get(pk=holder.pk).has_usable_password()
