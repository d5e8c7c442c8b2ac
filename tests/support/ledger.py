"""Raw writes to the ledger behind the ORM's back, for the tests that check tampering is found."""
from contextlib import contextmanager

from django.db import connection


@contextmanager
def tampering():
    """Raw SQL around the ORM guards; on PostgreSQL the insert-only trigger is disabled inside this test only."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE signing_ledgerentry DISABLE TRIGGER signing_ledger_insert_only")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush deferred FK checks before re-enabling
            cursor.execute("ALTER TABLE signing_ledgerentry ENABLE TRIGGER signing_ledger_insert_only")
