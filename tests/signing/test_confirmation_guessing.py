"""Parallel guesses of a sealing confirmation code: at most five checks, and a wrong guess seals nothing."""

import pytest
from django.db import connection

from signing.models import ConfirmationCode, SealedDecision
from signing.services import MAX_CODE_ATTEMPTS, confirmation_issue, decision_seal
from tests.concurrency import all_at_once

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="real concurrent connections (PostgreSQL); SQLite serialises writers"),
]


def test_parallel_confirmation_guesses_get_five_checks_at_most(seal, workstation, keeper, make_record):
    record = make_record(unit=workstation, reviewer=keeper)
    right = confirmation_issue(user=keeper, case_id=record["case_id"], record=record)
    codes = [f"{(int(right) + step) % 10**6:06d}" for step in range(1, 13)]
    codes.insert(6, right)

    def guess(code):
        decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=code)
        return "sealed"

    outcomes = all_at_once([lambda code=code: guess(code) for code in codes])

    # After the right guess sealed, the rest hear "used": the code is gone, nothing was compared.
    assert set(outcomes) <= {"confirmation_invalid", "confirmation_locked", "confirmation_used", "sealed",
                             "no_connection"}, outcomes
    checked = [outcome for outcome in outcomes if outcome in ("confirmation_invalid", "sealed")]
    assert len(checked) <= MAX_CODE_ATTEMPTS, outcomes
    assert ConfirmationCode.objects.get(user=keeper).failed_attempts <= MAX_CODE_ATTEMPTS
    assert SealedDecision.objects.count() == outcomes.count("sealed") <= 1
