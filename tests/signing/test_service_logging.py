"""Signing services log under their own module's name (signing.services.<part>), never the shared helpers'."""
import logging

import pytest

pytestmark = pytest.mark.django_db


def test_ca_and_seal_events_are_logged_under_the_service_module_that_wrote_them(workstation, keeper, caplog):
    from signing.services import ca_create, seal_issue, seal_revoke

    with caplog.at_level(logging.INFO):
        ca_create()
        seal = seal_issue(unit=workstation, keepers=[keeper])
        seal_revoke(seal=seal, reason="key_compromise")

    loggers = {record.msg["event"]: record.name for record in caplog.records if isinstance(record.msg, dict)}
    assert loggers["signing.ca_created"] == "signing.services.authority"
    assert loggers["signing.seal_issued"] == "signing.services.seals"
    assert loggers["signing.seal_revoked"] == "signing.services.seals"
