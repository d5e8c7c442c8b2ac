"""Signing fixtures that tests outside tests/signing use too (the /verify/ page's tests): a bureau CA, a
workstation seal with its keeper, approval records and a quick way to seal them. A pytest plugin, registered by
tests/conftest.py's pytest_plugins, so every test folder sees the same fixtures without importing them."""
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
def keeper(workstation):
    from accounts.models import User

    return staff_at(workstation, role=User.Role.REVIEWER, is_reviewer=True, is_seal_keeper=True)


@pytest.fixture
def seal(ca, workstation, keeper):
    from signing.services import seal_issue

    return seal_issue(unit=workstation, keepers=[keeper])


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
