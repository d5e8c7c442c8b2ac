"""factory_boy factories for the people and places tests need."""
import datetime
import itertools

import factory
from rest_framework.test import APIClient

from accounts.models import User
from accounts.validators import id_check_char
from stations.models import StaffMembership, Unit

_phone_seq = itertools.count(1)
_id_seq = itertools.count(100)


def valid_id_number(county_code: str = "371702", birth: str | None = None) -> str:
    """A valid ID number never handed out before in this run: the sequence number runs through 000-999 and
    then the birth date moves on a day (unless `birth` is given)."""
    serial = next(_id_seq)
    born = birth or (datetime.date(1960, 1, 1) + datetime.timedelta(days=serial // 1000)).strftime("%Y%m%d")
    first17 = f"{county_code}{born}{serial % 1000:03d}"
    return first17 + id_check_char(first17)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    role = User.Role.RESIDENT
    phone = factory.LazyFunction(lambda: f"139{next(_phone_seq):08d}")
    username = factory.LazyAttribute(lambda o: f"r{o.phone}")
    real_name = factory.Faker("name", locale="zh_CN")
    id_number = factory.LazyFunction(valid_id_number)
    insurance_scheme = User.Scheme.URBAN_RURAL
    home_county = factory.LazyFunction(lambda: Unit.objects.get(code="371702000").county)
    home_township = factory.LazyFunction(lambda: Unit.objects.get(code="371702001").township)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    role = User.Role.AGENT
    username = factory.Sequence(lambda n: f"staff{n}")
    real_name = factory.Faker("name", locale="zh_CN")
    password = factory.django.Password("correct-horse-9")


def staff_at(unit: Unit, *, role=User.Role.AGENT, **rights) -> User:
    user = StaffFactory(role=role)
    StaffMembership.objects.create(user=user, unit=unit, **rights)
    return user


def client_for(user) -> APIClient:
    """An API client signed in as `user`."""
    client = APIClient()
    client.force_authenticate(user)
    return client
