"""Server-side parameter binding for the few signing statements where it pays (PostgreSQL with psycopg 3).

Django's psycopg 3 backend binds parameters on the client (unless the project-wide `server_side_binding` option is
set): every value is spelled into the SQL text, which the server parses again, and nothing can be prepared.
Inside `server_bound()` the statements run through psycopg's server-binding cursor instead, still through Django's
cursor wrapper (error wrapping, execute wrappers, query logging):
  * a letter (~110 kB) is sent as binary bytea instead of an escaped literal twice its size;
  * a statement can be prepared: psycopg prepares one after `prepare_threshold` executions on a connection, and
    Django turns that off by default (connection poolers). A deployment that wants it sets the option, e.g.
    `DATABASE_URL=postgres://.../db?prepare_threshold=5` (behind PgBouncer in transaction mode only with
    PgBouncer >= 1.21 and `max_prepared_statements` set); statements outside `server_bound()` stay client-bound
    and are never prepared, whatever the option says.
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
