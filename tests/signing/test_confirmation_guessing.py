"""Parallel guesses of a sealing confirmation code: at most five checks, and a wrong guess seals nothing."""
import threading

import pytest
from django.db import connection

from config.errors import ServiceError
from signing.models import ConfirmationCode, SealedDecision
from signing.services import MAX_CODE_ATTEMPTS, confirmation_issue, decision_seal

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
    barrier = threading.Barrier(len(codes))
    outcomes = [None] * len(codes)

    def guess(index):
        try:
            barrier.wait(timeout=60)
            decision_seal(record=record, unit=workstation, user=keeper, confirmation_code=codes[index])
            outcomes[index] = "sealed"
        except ServiceError as exc:
            outcomes[index] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(len(codes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    checked = [outcome for outcome in outcomes if outcome != "confirmation_locked"]
    assert len(checked) <= MAX_CODE_ATTEMPTS, outcomes
    assert set(checked) <= {"confirmation_invalid", "sealed"}, outcomes
    assert ConfirmationCode.objects.get(user=keeper).failed_attempts <= MAX_CODE_ATTEMPTS
    assert SealedDecision.objects.count() == outcomes.count("sealed") <= 1
