"""Socket.IO packets written to an idle websocket by whoever sends them, not by its writer greenlet.

python-engineio queues every packet for a connection and a writer greenlet per connection takes it
and writes it: a room emit to 200 sockets puts 200 packets in 200 queues and wakes 200 greenlets,
each of which takes its packet (with a timer for its next wait), frames it and makes one `send`. In a
fan-out profile (docs/benchmarks.md) those writers were 42% of the worker, and only the `send` itself
(19%) was work a delivery needs. So `write_directly` takes over the server's `_send_eio_packet`, through
which python-socketio sends every packet (room emits, in the loop over recipients it already has, acks,
connects): when the connection is a websocket with nothing queued and nothing being written, the
packet's frame (realtime.websocket_compression: built once per packet, the same bytes for every
recipient) is written at once, by a `send` that does not wait. Otherwise, or if the socket does not
take all of it, the packet (or the rest of its frame) joins the connection's queue, behind what is
there, and its writer writes it as before: a connection's packets keep their order, a client that
reads slowly holds up nobody but itself (its queue grows as before), and Engine.IO's own packets
(pings, NOOPs, the close) still go through the queue, which keeps the writer waking within its timeout.

Only under gevent: the writer greenlet cannot take a packet from the queue and run before writing it
(it writes holding the socket's lock, `WholeFrames.writing`), while a writer thread could.
"""
from __future__ import annotations

from realtime.websocket_compression import frame_for
from realtime.websocket_frames import Framed, frames_socket


class _Rest:
    """The part of a frame a socket did not take at once, queued as a packet: its writer writes it as is."""

    def __init__(self, rest: bytes) -> None:
        self._rest = Framed(rest)

    def encode(self, *args, **kwargs) -> Framed:
        return self._rest


def written_now(connection, pkt) -> bool:
    """Write `pkt` on `connection` (an engine.io socket) now if nothing is ahead of it; False: queue it."""
    frames = frames_socket(connection)
    websocket = getattr(connection, "switchboard_websocket", None)
    if frames is None or websocket is None or frames.writing or connection.queue.queue:
        return False
    if not connection.upgraded or connection.upgrading or connection.closing or connection.closed \
            or not websocket.connected:
        return False
    if not connection.check_ping_timeout():  # the client is gone: closed now, as engine.io's send does
        return True
    frame = frame_for(websocket, pkt.encode())
    try:
        sent = frames.send_now(frame)
    except OSError:  # the connection is breaking: its reader and writer find out and close it
        return False
    if sent < len(frame):
        connection.queue.put(_Rest(memoryview(frame)[sent:].tobytes()))
    return True


def write_directly(server) -> None:
    """Route a python-socketio server's packets through `written_now` (under gevent; once per server)."""
    if server.async_mode != "gevent" or getattr(server, "writes_directly", False):
        return
    queued = server._send_eio_packet
    sockets = server.eio.sockets

    def _send_eio_packet(eio_sid, eio_pkt):
        connection = sockets.get(eio_sid)
        if connection is None or not written_now(connection, eio_pkt):
            queued(eio_sid, eio_pkt)

    server._send_eio_packet = _send_eio_packet
    server.writes_directly = True
