"""python-engineio's long-polling, both ways: answers of at most 16 packets, posts of up to 1,000.

**Answers.** The rest waits in the connection's queue, in order, for the client's next poll.

python-engineio's server answers a poll with everything its connection has queued (`Socket.poll`),
while its own client refuses a payload of more than 16 packets (`engineio.payload.Payload.
max_decode_packets`) and drops the connection: a burst of events to a python-socketio client on
long-polling (a busy group's messages while its previous answer was on its way) cut it. So a poll
answer takes at most `POLL_ANSWER_MAX_PACKETS` packets off the queue; the client polls again as soon
as it has read one, and gets the next ones. Nothing else changes: the packets leave the queue in the
order they were put there, each once.

A connection that is closed still gets everything queued in one answer, as python-engineio answers it:
the server forgets the connection after that answer and refuses its next poll, so what a capped answer
left queued would be lost, and `Server.disconnect` (`close(wait=True)`) would wait forever for it to
be taken. A python-socketio client gets more than 16 packets then only when it is being disconnected
anyway; socket.io-client takes them all, its CLOSE included.

A websocket's writer (python-engineio's, which polls the same queue: realtime.direct_writes leaves it
the packets of a connection it cannot write to at once) still takes everything queued: its frames are
not a payload, and a client reads them one by one.

**Posts.** A long-polling client sends everything it has queued in one POST, and python-engineio's server
decoded at most 16 packets of it (the same `Payload.max_decode_packets`): a program emitting a burst of
17 or more events lost them all, answered 200 with nothing acknowledged (the error only logged). The
server now decodes up to `POST_MAX_PACKETS`, each event then admitted or refused `busy` by its socket's
queue (blueprints.chat.socket_queue) with an ack as over a WebSocket; a post of more, one that does
not decode, or one carrying an Engine.IO packet no client posts (a PING, a NOOP…), is answered 400 and
its connection closed, as python-engineio answers a post over `max_http_buffer_size`: a refusal the
client sees, never a silent loss.
"""
from __future__ import annotations

import functools

import engineio.exceptions
import engineio.payload
import engineio.socket

# python-engineio's client (engineio.payload.Payload.max_decode_packets) drops the connection on a
# payload of more packets than this; socket.io-client has no such limit, so every client takes this many.
POLL_ANSWER_MAX_PACKETS = 16
# What one POST may carry: past any honest client's burst (the body is capped at max_http_buffer_size too),
# and a bound on the work one request makes decoding.
POST_MAX_PACKETS = 1000


def poll_at_most(connection, most: int = POLL_ANSWER_MAX_PACKETS) -> list:
    """python-engineio's `Socket.poll`, stopped after `most` packets unless the connection is closed: wait
    for a first packet, then take what else is queued now, up to `most` in all. [] once the connection
    has ended (its None taken)."""
    queue_empty = connection.server.get_queue_empty_exception()
    try:
        packets = [connection.queue.get(timeout=connection.server.ping_interval + connection.server.ping_timeout)]
        connection.queue.task_done()
    except queue_empty:
        raise engineio.exceptions.QueueEmpty() from None
    if packets == [None]:
        return []
    while len(packets) < most or connection.closed:  # closed: checked once woken, a close may have woken it
        try:
            packet = connection.queue.get(block=False)
        except queue_empty:
            break
        connection.queue.task_done()
        if packet is None:  # the connection's end: left for the next poll, as python-engineio does
            connection.queue.put(None)
            break
        packets.append(packet)
    return packets


def cap_long_polling() -> None:
    """Every engine.io connection's poll answers capped and posts decoded up to POST_MAX_PACKETS from now
    on (patched once per process); an upgraded connection's websocket writer polls as before."""
    original = engineio.socket.Socket.poll
    if getattr(original, "capped", False):
        return
    engineio.socket.Socket.handle_post_request = _handle_post_request

    @functools.wraps(original)
    def poll(self):
        # Upgraded: the websocket writer is the only one polling (python-engineio answers a long-polling
        # GET of an upgraded or upgrading connection with a NOOP, without polling).
        if self.upgraded:
            return original(self)
        return poll_at_most(self)

    poll.capped = True
    engineio.socket.Socket.poll = poll


class _PostPayload(engineio.payload.Payload):
    """A client's post, decoded up to POST_MAX_PACKETS (python-engineio's class, and its clients in this
    process, keep their 16)."""

    max_decode_packets = POST_MAX_PACKETS


def close_at_once(connection) -> None:
    """End an Engine.IO connection now, without waiting for a poll to take its CLOSE (python-engineio's
    `Server.disconnect` waits for one: a request that closes a connection nobody polls meanwhile never
    returned). It is forgotten at once, so its next poll or post is answered 400."""
    connection.server.sockets.pop(connection.sid, None)
    connection.close(wait=False, reason=connection.server.reason.SERVER_DISCONNECT)


def _handle_post_request(self, environ) -> None:
    """python-engineio's `Socket.handle_post_request`, decoding up to POST_MAX_PACKETS; a post it cannot
    decode (too many packets, a length or text that is not one) is refused as one too long is (400, the
    connection closed), where python-engineio logged the error, answered 200, and the events were lost.
    The connection is closed here (`close_at_once`): python-engineio's own answer to the error waited for
    a poll to take the CLOSE, and a client that polls only once its post is answered got no answer, ever. So
    too for a post carrying an Engine.IO packet no client posts (`Socket.receive` refuses it: UnknownPacketError;
    the packets before it were read), which python-engineio answers so as well."""
    try:
        length = int(environ.get("CONTENT_LENGTH", "0"))
        if length > self.server.max_http_buffer_size:
            raise engineio.exceptions.ContentTooLongError()
        packets = _PostPayload(encoded_payload=environ["wsgi.input"].read(length).decode("utf-8")).packets
    except (ValueError, engineio.exceptions.ContentTooLongError) as error:
        close_at_once(self)
        raise engineio.exceptions.ContentTooLongError(str(error)) from error
    try:
        for packet in packets:
            self.receive(packet)
    except engineio.exceptions.UnknownPacketError:  # a PING, an OPEN, a NOOP, a type past the protocol's
        close_at_once(self)
        raise
