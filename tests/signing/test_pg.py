"""signing.pg.server_bound: server-side binding for the statements inside it, on PostgreSQL only."""
import pytest
from django.db import connection

from signing.pg import server_bound

pytestmark = pytest.mark.django_db


def test_server_bound_switches_the_cursor_inside_the_block_only():
    with connection.cursor() as cursor:
        before = type(cursor.cursor)
    with server_bound():
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", [b"\x00\xffletter"])
            assert bytes(cursor.fetchone()[0]) == b"\x00\xffletter"
            inside = type(cursor.cursor)
    with connection.cursor() as cursor:
        assert type(cursor.cursor) is before
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql.base import ServerBindingCursor

        assert inside is ServerBindingCursor and before is not ServerBindingCursor
    else:
        assert inside is before


def test_server_bound_restores_the_cursor_after_an_error():
    with connection.cursor() as cursor:
        before = type(cursor.cursor)
    with pytest.raises(RuntimeError), server_bound():
        raise RuntimeError("boom")
    with connection.cursor() as cursor:
        assert type(cursor.cursor) is before
