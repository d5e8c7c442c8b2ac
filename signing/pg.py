"""Server-side parameter binding for the few signing statements where it pays (PostgreSQL with psycopg 3).

Django's psycopg 3 backend binds parameters on the client (unless the project-wide `server_side_binding` option is
set): every value is spelled into the SQL text, which the server parses again, and nothing is ever prepared.
Inside `server_bound()` the statements run through psycopg's server-binding cursor instead, still through Django's
cursor wrapper (error wrapping, execute wrappers, query logging):
  * a letter (~110 kB) is sent as binary bytea instead of an escaped literal twice its size;
  * a statement run repeatedly on the same connection is prepared by psycopg (after `prepare_threshold`, 5,
    executions), so PostgreSQL stops planning it on every call. Behind PgBouncer in transaction mode this needs
    PgBouncer >= 1.21 with `max_prepared_statements` set (the deployment's CONN_MAX_AGE=0 opens one connection per
    request, which never reaches the threshold).
Elsewhere (SQLite, psycopg 2) nothing changes.
"""
from contextlib import contextmanager

from django.db import connections


@contextmanager
def server_bound(using: str = "default"):
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor, is_psycopg3

    if not is_psycopg3:
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    previous, raw.cursor_factory = raw.cursor_factory, ServerBindingCursor
    try:
        yield
    finally:
        raw.cursor_factory = previous
