"""Signing fixtures: a township station's seal under a delegation, and a stand-in for reviews' case permission.
The CA, the workstation's seal and sealed decisions come from tests/support/signing_fixtures.py (a plugin every
folder sees)."""
import datetime

import pytest
from django.utils import timezone

from stations.models import Unit
from tests.factories import staff_at


@pytest.fixture
def station(org):
    return Unit.objects.get(code="371702001")


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
def case_hook(monkeypatch):
    """Stand in for reviews' case permission (the case letter endpoints live in reviews since the letters moved
    there): the users added may see the case, nobody else."""
    import reviews.selectors.letters
    from core.errors import NotFound

    visible: set[tuple[int, int]] = set()

    def case_row_for_user(*, user, case_id):
        if (user.pk, case_id) not in visible:
            raise NotFound("找不到该案件。")
        return object()

    monkeypatch.setattr(reviews.selectors.letters, "case_row_for_user", case_row_for_user)
    return visible
