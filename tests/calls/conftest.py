"""Fixtures of the call tests: a small organisation of our own per test, and the sockets' clean-up.

Sockets use database_sync_to_async, so the room tests need transactional database access: the
organisation is created per test (a few rows), not loaded. Helpers are in tests/support/calls.py.
"""
import pytest
from channels.db import database_sync_to_async

from tests.support.calls import OPEN_SOCKETS, Org, make_org


@pytest.fixture
async def _close_socket_thread_connections():
    """End every socket the test opened (so no consumer is left mid-receive on the channel layer when the
    event loop closes), then close the DB connection of the thread database_sync_to_async runs in, so the
    flush is not blocked."""
    from channels.layers import channel_layers
    from django.db import connections

    # A fresh layer per test: channels-redis keeps locks bound to the event loop it first ran in.
    channel_layers.backends.clear()
    yield
    while OPEN_SOCKETS:
        socket = OPEN_SOCKETS.pop()
        try:
            await socket.communicator.disconnect(timeout=2)
        except Exception:  # noqa: BLE001 - an application that already ended raises its own end here
            pass
    layer = channel_layers.backends.pop("default", None)
    if layer is not None and hasattr(layer, "close_pools"):
        await layer.close_pools()
    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def calls_org(transactional_db, _close_socket_thread_connections) -> Org:
    return make_org()


@pytest.fixture
def calls_org_db(db) -> Org:
    """The same organisation for plain (non-socket) tests, inside the test's transaction."""
    return make_org()
