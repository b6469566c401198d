"""Socket.IO packets written to an idle websocket by the worker itself, not by its writer greenlet;
the events of a loop turn written to each socket at once.

python-engineio queues every packet for a connection and a writer greenlet per connection takes it
and writes it: a room emit to 200 sockets puts 200 packets in 200 queues and wakes 200 greenlets,
each of which takes its packet (with a timer for its next wait), frames it and makes one `send`. In a
fan-out profile (docs/benchmarks.md) those writers were 42% of the worker, and only the `send` itself
(19%) was work a delivery needs. So `write_directly` takes over the server's `_send_eio_packet`, through
which python-socketio sends room emits (in the loop over recipients it already has), and its
`_send_packet` (acks, connect answers, disconnects), and writes each packet's frame
(realtime.websocket_compression: built once per packet, the same bytes for every recipient) by a
`send` that does not wait:

- an event (`server.emit`: to a room or to one socket) is added to its connection's pending frames,
  and every connection's pending frames are written once the worker's loop gets its turn back (a
  callback of gevent's loop): one `send` per socket for all the events of that turn (at saturation,
  the fan-outs of the several messages the worker handled in a row);
- any other packet (an ack, a connect answer, a disconnect) is written at once, after (in the same
  `send` as) whatever its connection had pending, so that an ack is on the wire when the socket queue
  releases its changes (realtime.answer_first);
- a connection with packets in its Engine.IO queue or a frame being written, and the rest of what its
  full socket did not take, go through the queue and its writer as before: a connection's packets keep
  their order, and a client that reads slowly holds up nobody but itself. Engine.IO's own packets
  (pings, NOOPs, the close) still go through the queue, after the connection's pending frames; the
  writer still wakes for the pings, within its timeout.

Only under gevent: a writer greenlet cannot take a packet from the queue and run before writing it
(it writes holding the socket's lock, `WholeFrames.writing`), while a writer thread could.
"""
from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextvars import ContextVar

import engineio.packet
import engineio.socket

from realtime.websocket_compression import frame_for
from realtime.websocket_frames import Framed, frames_socket

log = logging.getLogger(__name__)

# Inside server.emit (in this greenlet: an emit that waits, on a disconnect handler, does not make
# another greenlet's acks events): its packets are events.
_emitting: ContextVar[bool] = ContextVar("switchboard_emitting", default=False)


class _Rest:
    """Frames, or the part of one, that a socket did not take at once, queued as a packet: its writer
    writes them as they are."""

    def __init__(self, rest: bytes) -> None:
        self._rest = Framed(rest)

    def encode(self, *args, **kwargs) -> Framed:
        return self._rest


def _write(connection, frames: bytes) -> None:
    """Write `frames` now if the connection's queue is empty and nothing is being written, else (and
    whatever the socket does not take now) queue them for its writer. Never waits."""
    socket = frames_socket(connection)
    sent = 0
    if not connection.queue.queue and not socket.writing:
        try:
            sent = socket.send_now(frames)
        except OSError:  # the connection is breaking: its reader and writer find out and close it
            sent = 0
    if sent < len(frames):
        connection.queue.put(_Rest(frames[sent:] if sent else frames))


class Writes:
    """This process's events waiting for the end of the loop turn, by connection."""

    def __init__(self, run_callback: Callable[[Callable[[], None]], object]) -> None:
        self._run_callback = run_callback
        self._pending: dict[object, list[bytes]] = {}  # engine.io socket -> frames, in order
        self._last_packet, self._last_compresses, self._last_frame = None, None, b""

    def defer(self, connection, frame: bytes) -> None:
        frames = self._pending.get(connection)
        if frames is not None:
            frames.append(frame)
            return
        if not self._pending:
            self._run_callback(self.flush)
        self._pending[connection] = [frame]

    def flush(self) -> None:
        """Every connection's pending frames, one write each (run by the loop, in its own greenlet)."""
        pending, self._pending = self._pending, {}
        for connection, frames in pending.items():
            try:
                if not connection.closed:
                    _write(connection, frames[0] if len(frames) == 1 else b"".join(frames))
            except Exception:  # one connection must not keep the others' frames
                log.exception("could not write to engine.io connection %s", connection.sid)

    def flush_one(self, connection) -> None:
        """The connection's pending frames now, before a packet that must follow them."""
        frames = self._pending.pop(connection, None)
        if frames:
            _write(connection, b"".join(frames))

    def send(self, connection, pkt) -> bool:
        """Write (or defer) `pkt` for an open websocket connection; False: engine.io's queue takes it.
        Run once per recipient of a room emit: kept to a few lookups."""
        websocket = connection.__dict__.get("switchboard_websocket")
        if websocket is None or not connection.upgraded or connection.upgrading or connection.closing \
                or connection.closed or not websocket.connected:
            self.flush_one(connection)
            return False
        frame = self._frame(websocket, pkt)
        if _emitting.get():
            # An event: engine.io's check for a client gone quiet is left to the next ping (realtime.engineio_pings)
            self.defer(connection, frame)
            return True
        if not connection.check_ping_timeout():  # the client is gone: closed now, as engine.io's send does
            return True
        pending = self._pending.pop(connection, None)  # written first, in the same write
        if pending:
            pending.append(frame)
            frame = b"".join(pending)
        _write(connection, frame)
        return True

    def _frame(self, websocket, pkt) -> bytes:
        """The packet's frame for this connection; a room emit sends one packet object to every recipient,
        so the last one's frame is kept by whether it went compressed."""
        compresses = websocket.__dict__.get("switchboard_compresses")
        if pkt is self._last_packet and compresses is self._last_compresses:
            return self._last_frame
        frame = frame_for(websocket, pkt.encode())
        self._last_packet, self._last_compresses, self._last_frame = pkt, websocket.switchboard_compresses, frame
        return frame


def write_directly(server, run_callback: Callable | None = None) -> Writes | None:
    """Route a python-socketio server's packets through one `Writes` (under gevent; once per server).
    `run_callback(function)`: run it when the loop next gets its turn (gevent's loop by default)."""
    if server.async_mode != "gevent" or getattr(server, "switchboard_writes", None) is not None:
        return getattr(server, "switchboard_writes", None)
    if run_callback is None:
        import gevent

        run_callback = gevent.get_hub().loop.run_callback
    writes = Writes(run_callback)
    queued, emit, sockets = server._send_eio_packet, server.emit, server.eio.sockets

    def _send_eio_packet(eio_sid, eio_pkt):
        connection = sockets.get(eio_sid)
        if connection is None or not writes.send(connection, eio_pkt):
            queued(eio_sid, eio_pkt)

    @functools.wraps(emit)
    def emit_events(*args, **kwargs):
        token = _emitting.set(True)
        try:
            return emit(*args, **kwargs)
        finally:
            _emitting.reset(token)

    def _send_packet(eio_sid, pkt):  # python-socketio's, through _send_eio_packet rather than eio.send
        encoded = pkt.encode()
        for part in encoded if isinstance(encoded, list) else [encoded]:
            _send_eio_packet(eio_sid, engineio.packet.Packet(engineio.packet.MESSAGE, data=part))

    server._send_eio_packet, server._send_packet = _send_eio_packet, _send_packet
    server.emit = emit_events
    server.switchboard_writes = server.eio.switchboard_writes = writes
    _flush_before_engineio_packets()
    return writes


def _flush_before_engineio_packets() -> None:
    """Engine.IO's own packets (and a close) come after what the connection had pending (once per process)."""
    socket_class = engineio.socket.Socket
    send, close = socket_class.send, socket_class.close
    if getattr(send, "after_pending", False):
        return

    def flush(connection) -> None:
        writes = getattr(connection.server, "switchboard_writes", None)
        if writes is not None:
            writes.flush_one(connection)

    @functools.wraps(send)
    def send_after_pending(self, pkt):
        flush(self)
        return send(self, pkt)

    @functools.wraps(close)
    def close_after_pending(self, *args, **kwargs):
        flush(self)
        return close(self, *args, **kwargs)

    send_after_pending.after_pending = True
    socket_class.send, socket_class.close = send_after_pending, close_after_pending
