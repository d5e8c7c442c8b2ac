"""Signing fixtures: a bureau CA, seals with keepers, a delegation, and a way to seal a decision quickly."""
import datetime

import pytest
from django.utils import timezone

from stations.models import Unit
from tests.factories import ResidentFactory, staff_at


@pytest.fixture
def ca(org):
    from signing.services import ca_create

    return ca_create()


@pytest.fixture
def workstation(org):
    return Unit.objects.get(code="371702000")


@pytest.fixture
def station(org):
    return Unit.objects.get(code="371702001")


@pytest.fixture
def keeper(workstation):
    from accounts.models import User

    return staff_at(workstation, role=User.Role.REVIEWER, is_reviewer=True, is_seal_keeper=True)


@pytest.fixture
def seal(ca, workstation, keeper):
    from signing.services import seal_issue

    return seal_issue(unit=workstation, keepers=[keeper])


@pytest.fixture
def township_item(org):
    from bookings.models import ServiceItem

    return ServiceItem.objects.filter(approval_level="township").order_by("code").first()


@pytest.fixture
def station_keeper(station):
    return staff_at(station, is_agent=True, is_reviewer=True, is_seal_keeper=True)


@pytest.fixture
def station_seal(ca, station, station_keeper, township_item):
    from signing.services import delegation_grant, seal_issue

    delegation_grant(unit=station, item_codes=[township_item.code],
                     valid_until=timezone.now() + datetime.timedelta(days=30))
    return seal_issue(unit=station, keepers=[station_keeper])


@pytest.fixture
def make_record(org):
    """Build an approval record for a new resident's case at `unit` for `item`."""
    from bookings.models import ServiceItem
    from signing.services import approval_record_build

    counter = iter(range(1000, 100000))

    def build(*, unit, reviewer, item=None, decision="approve", case_id=None, delegation=None):
        item = item or ServiceItem.objects.filter(approval_level="county").order_by("code").first()
        resident = ResidentFactory()
        return approval_record_build(
            case_id=case_id or next(counter), item_code=item.code, item_name=item.name, decision=decision,
            reason="材料齐全，符合规定" if decision == "approve" else "缺少住院发票原件",
            reviewer=reviewer, unit=unit, delegation=delegation,
            materials=[{"name": "身份证正面", "sha256": "a" * 64}, {"name": "住院发票", "sha256": "b" * 64}],
            resident_id_number=resident.id_number, resident_name=resident.real_name, decided_at=timezone.now(),
        )

    return build


@pytest.fixture
def seal_decision():
    """Issue a confirmation code and seal in one step."""
    from signing.services import confirmation_issue, decision_seal

    def run(*, record, unit, user):
        code = confirmation_issue(user=user, case_id=record["case_id"], record=record)
        return decision_seal(record=record, unit=unit, user=user, confirmation_code=code, resident_name="张三丰")

    return run


@pytest.fixture
def sealed(seal, workstation, keeper, make_record, seal_decision):
    record = make_record(unit=workstation, reviewer=keeper)
    return seal_decision(record=record, unit=workstation, user=keeper)


@pytest.fixture
def case_hook(monkeypatch):
    """Stand in for reviews' case permission (the case letter endpoints live in reviews since the letters moved
    there): the users added may see the case, nobody else."""
    import reviews.selectors
    from core.errors import NotFound

    visible: set[tuple[int, int]] = set()

    def case_get_for_user(*, user, case_id):
        if (user.pk, case_id) not in visible:
            raise NotFound("找不到该案件。")
        return object()

    monkeypatch.setattr(reviews.selectors, "case_get_for_user", case_get_for_user)
    return visible
