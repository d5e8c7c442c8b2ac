"""The test data generators themselves: what the other tests rely on."""
import pytest

from accounts.validators import validate_id_number
from tests.factories import valid_id_number


def test_generated_id_numbers_are_valid_and_never_repeat():
    numbers = [valid_id_number() for _ in range(3000)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers[::97]:
        validate_id_number(number)  # raises ValidationError on a bad check digit or birth date


@pytest.mark.django_db
def test_booking_case_and_call_factories_make_rows_the_database_accepts(org):
    from calls.models import Call
    from reviews.models import Case
    from tests.factories import BookingFactory, CallFactory, CaseFactory

    first, second = BookingFactory(), BookingFactory()
    assert first.starts_at != second.starts_at and Call.objects.filter(booking=first).exists()  # calls' hook
    case = CaseFactory()
    assert case.resident_data_open and Case.objects.get(pk=case.pk).booking.unit == case.opened_unit
    call = CallFactory()
    assert call.created_by.memberships.filter(unit=call.host_unit, is_agent=True).exists()
