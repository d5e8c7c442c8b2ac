"""Two per-frame costs of Daphne's stack (Twisted + autobahn) that the bare `websockets` relay does not pay.

1. TCP writes are sent at once when nothing waits to be sent, not on the reactor's next turn. Twisted's
   `FileDescriptor.write` never writes in place: it appends to a buffer and registers the socket for
   writability, and the reactor's next turn sends it and unregisters. Under Daphne's asyncio reactor that
   is two `epoll_ctl` calls, an extra loop turn and Twisted's logging context per outgoing frame: a third
   of Daphne's CPU per relayed signaling message (py-spy, bench/signaling.py). asyncio's own transports,
   and so the bare `websockets` relay we compare with, try `send()` first; this does the same for the
   sockets Daphne accepts (`twisted.internet.tcp.Server`):
   * only when nothing is buffered (else in order behind it) and the socket is open for writing, not
     being aborted, and not TLS (Daphne sits behind nginx; TLS connections keep Twisted's path);
   * whatever `send()` does not take (a full kernel buffer, a partial send) goes to Twisted's buffered
     path as before, so producers, flow control and closing behave as they did; so does an error: the
     buffered path meets it again in `doWrite` and closes the connection the way Twisted does.

2. autobahn builds the arguments of two debug log lines for every frame in and out (`hltype`, `hlval`:
   qualified names and colours through `click.style`), about 5 % of Daphne's CPU per message, and the
   logger drops them (debug is off). Here they are built only when a message is actually formatted, to the
   same text.

Twisted and autobahn are pinned (requirements.txt); the attributes used here are those of Twisted's
`FileDescriptor` and `tcp.Connection` (tests/calls/test_daphne_transport.py checks them against the
installed versions).
"""
from autobahn import util as autobahn_util
from autobahn.twisted import websocket as autobahn_twisted
from autobahn.websocket import protocol as autobahn_protocol
from twisted.internet import tcp

_buffered_write = tcp.Server.write


def write(self, data):
    if (self.connected and not self.TLS and not self._writeDisconnected and not self._aborting
            and type(data) is bytes and not self._tempDataBuffer and len(self.dataBuffer) == self.offset):
        try:
            sent = self.socket.send(data)
        except OSError:
            sent = 0  # EAGAIN, or a broken connection that the buffered path will meet and close
        if sent == len(data):
            return
        data = data[sent:]
    _buffered_write(self, data)


class LogArgument:
    """A log argument rendered only when the log line is formatted."""

    __slots__ = ("render", "args", "kwargs")

    def __init__(self, render, args, kwargs):
        self.render, self.args, self.kwargs = render, args, kwargs

    def __str__(self):
        return self.render(*self.args, **self.kwargs)

    def __format__(self, spec):
        return format(str(self), spec)

    __repr__ = __str__


def rendered_when_logged(render):
    def defer(*args, **kwargs):
        return LogArgument(render, args, kwargs)
    return defer


def install():
    tcp.Server.write = write
    for module in (autobahn_protocol, autobahn_twisted):
        module.hltype = rendered_when_logged(autobahn_util.hltype)
        module.hlval = rendered_when_logged(autobahn_util.hlval)
