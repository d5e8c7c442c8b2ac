"""PostgreSQL: parameters bound on the server and hot statements prepared (config/settings.py)."""
import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL connection options")
def test_statements_are_bound_on_the_server_and_prepared_after_five_runs():
    from django.db.backends.postgresql.base import ServerBindingCursor

    with connection.cursor() as cursor:
        assert type(cursor.cursor) is ServerBindingCursor
        cursor.execute("SELECT %s", [b"\x00\xffletter"])  # bytes go as binary, not as an escaped literal
        assert bytes(cursor.fetchone()[0]) == b"\x00\xffletter"
        for _ in range(6):
            cursor.execute("SELECT count(*) FROM django_migrations WHERE app = %s", ["bookings"])
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%FROM django_migrations WHERE app = $1%"])
        assert cursor.fetchone()[0] == 1
    assert connection.connection.prepare_threshold == 5
