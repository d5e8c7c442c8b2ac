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


def session_cookie(user: User) -> str:
    """A Cookie header value with a real session of `user` (for WebSockets, which take no API client)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- Bookings, cases and calls ----------------------------------------------------------------
_slot_seq = itertools.count(1)


def _past_start() -> datetime.datetime:
    """Distinct past starts: the database refuses overlapping bookings of one resident."""
    from django.utils import timezone

    return timezone.now() - datetime.timedelta(days=2, hours=next(_slot_seq))


class BookingFactory(factory.django.DjangoModelFactory):
    """A booking at the demo data's first township station (its call comes from calls' own hook)."""

    class Meta:
        model = "bookings.Booking"

    unit = factory.LazyFunction(lambda: Unit.objects.get(code="371702001"))
    item = factory.LazyFunction(lambda: _first_item("township"))
    resident = factory.SubFactory(ResidentFactory)
    booked_by = factory.SelfAttribute("resident")
    starts_at = factory.LazyFunction(_past_start)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(minutes=o.item.session_minutes))
    status = "completed"


def _first_item(level: str):
    from bookings.models import ServiceItem

    return ServiceItem.objects.filter(approval_level=level, active=True).order_by("code").first()


class CaseFactory(factory.django.DjangoModelFactory):
    """A draft case opened from a booking, as an agent of the booking's unit opens it."""

    class Meta:
        model = "reviews.Case"

    booking = factory.SubFactory(BookingFactory)
    item = factory.SelfAttribute("booking.item")
    resident = factory.SelfAttribute("booking.resident")
    opened_unit = factory.SelfAttribute("booking.unit")
    opened_by = factory.LazyAttribute(lambda o: staff_at(o.booking.unit, is_agent=True))
    county = factory.SelfAttribute("resident.home_county")
    township = factory.SelfAttribute("resident.home_township")


class CallFactory(factory.django.DjangoModelFactory):
    """An ad hoc call started by an agent of the demo data's first township station."""

    class Meta:
        model = "calls.Call"

    kind = "ad_hoc"
    host_unit = factory.LazyFunction(lambda: Unit.objects.get(code="371702001"))
    created_by = factory.LazyAttribute(lambda o: staff_at(o.host_unit, is_agent=True))
    status = "ringing"
