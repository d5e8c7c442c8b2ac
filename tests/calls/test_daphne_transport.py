"""calls/daphne_transport.py: Daphne's accepted TCP connections send a write at once when nothing is buffered,
and otherwise keep Twisted's buffered path (order, partial sends, aborted connections). A real socket pair under
Twisted's memory reactor, on the installed Twisted."""
import socket

import pytest
from twisted.internet import tcp
from twisted.internet.protocol import Protocol
from twisted.internet.testing import MemoryReactorClock

from calls import daphne_transport


@pytest.fixture
def connection(monkeypatch):
    monkeypatch.setattr(tcp.Server, "write", daphne_transport.write)
    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    theirs.settimeout(5)
    reactor = MemoryReactorClock()
    transport = tcp.Server(ours, Protocol(), ("127.0.0.1", 40000), None, 1, reactor)
    yield transport, theirs, reactor
    ours.close()
    theirs.close()


def read_all(transport, theirs, size):
    got = b""
    while len(got) < size:
        if transport in transport.reactor.getWriters():
            transport.doWrite()  # what the reactor does when the socket is writable
        got += theirs.recv(1 << 20)
    return got


def test_a_write_with_nothing_buffered_is_sent_at_once_without_the_reactor(connection):
    transport, theirs, reactor = connection
    transport.write(b'{"type":"offer"}')
    assert theirs.recv(100) == b'{"type":"offer"}'
    assert transport not in reactor.getWriters()


def test_what_the_kernel_does_not_take_is_buffered_and_later_writes_queue_behind_it(connection):
    transport, theirs, reactor = connection
    big = bytes(range(256)) * 40000  # ~10 MB, more than a socket buffer
    transport.write(big)
    assert transport in reactor.getWriters()  # the rest waits for writability, as in Twisted
    transport.write(b"tail")
    assert read_all(transport, theirs, len(big) + 4) == big + b"tail"


def test_an_aborted_connection_sends_nothing_more(connection):
    transport, theirs, reactor = connection
    transport.abortConnection()
    transport.write(b"late")
    theirs.setblocking(False)
    with pytest.raises(BlockingIOError):
        theirs.recv(100)


def test_twisted_alone_would_have_waited_for_the_reactor(connection, monkeypatch):
    transport, theirs, reactor = connection
    monkeypatch.setattr(tcp.Server, "write", daphne_transport._buffered_write)
    transport.write(b"x")
    assert transport in reactor.getWriters()  # the turn and the two epoll_ctl calls daphne_transport saves


def test_autobahns_per_frame_log_arguments_render_to_the_same_text_only_when_logged():
    from autobahn import util

    daphne_transport.install()
    from autobahn.twisted import websocket
    from autobahn.websocket import protocol

    for module in (protocol, websocket):
        func = module.hltype(protocol.WebSocketProtocol.sendData)
        assert "{func} {peer}".format(func=func, peer=module.hlval("tcp:127.0.0.1:1")) == (
            f"{util.hltype(protocol.WebSocketProtocol.sendData)} {util.hlval('tcp:127.0.0.1:1')}")
        assert str(module.hlval(3, color="blue", bold=False)) == util.hlval(3, color="blue", bold=False)


def test_the_asgi_module_leaves_what_it_loaded_out_of_the_collectors_passes():
    import gc

    import config.asgi  # noqa: F401

    assert gc.get_freeze_count() > 10000
