"""The test data generators themselves: what the other tests rely on."""
from accounts.validators import validate_id_number
from tests.factories import valid_id_number


def test_generated_id_numbers_are_valid_and_never_repeat():
    numbers = [valid_id_number() for _ in range(3000)]
    assert len(set(numbers)) == len(numbers)
    for number in numbers[::97]:
        validate_id_number(number)  # raises ValidationError on a bad check digit or birth date
