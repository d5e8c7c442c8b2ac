"""Daphne's TCP writes: sent at once when nothing waits to be sent, instead of on the reactor's next turn.

Twisted's `FileDescriptor.write` never writes in place: it appends to a buffer and registers the socket
for writability, and the reactor's next turn sends it and unregisters. Under Daphne's asyncio reactor that
is two `epoll_ctl` calls, an extra loop turn and Twisted's logging context per outgoing frame: a third of
Daphne's CPU per relayed signaling message (py-spy, bench/signaling.py). asyncio's own transports, and so
the bare `websockets` relay we compare with, try `send()` first; this does the same for the sockets
Daphne accepts (`twisted.internet.tcp.Server`):

* only when nothing is buffered (else in order behind it) and the socket is open for writing, not being
  aborted, and not TLS (Daphne sits behind nginx; TLS connections keep Twisted's path);
* whatever `send()` does not take (a full kernel buffer, a partial send) goes to Twisted's buffered path
  as before, so producers, flow control and closing behave as they did; so does an error: the buffered
  path meets it again in `doWrite` and closes the connection the way Twisted does.

Twisted is pinned (requirements.txt); the attributes used here are those of its `FileDescriptor` and
`tcp.Connection` (tests/calls/test_daphne_transport.py checks them against the installed version).
"""
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


def install():
    tcp.Server.write = write
