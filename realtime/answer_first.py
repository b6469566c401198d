"""How long a transport waits for an answer to be on the wire before releasing its changes.

A socket event's ack (blueprints.chat.socket_queue) and a gateway command's response
(gateway.session) are written before anyone else hears of the change they made. The
answer sits in its connection's outgoing queue, behind whatever was queued before it; its
writer takes it when the loop gets to it. So the wait ends when the answer is written, not
after a fixed time: a busy worker writes it late, and the changes leave late with it, in
order. Only two things end the wait without the answer written:

- the writer has been blocked for BLOCKED_AT_MOST on a client that does not read (its
  buffers are full): that client then gets its answer after the others hear of the change,
  and delays nobody else's;
- WAITED_AT_MOST has passed (the worker is too far behind for order to matter to anyone),
  or the connection is gone.

events.unreleased keeps the process's reorder buffers from reading a held revision for
longer than this wait can last.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ops import metrics

log = logging.getLogger(__name__)

BLOCKED_AT_MOST = 0.2  # seconds a writer may be stuck on a client that does not read
WAITED_AT_MOST = 5.0  # below events.unreleased.HELD_AT_MOST


def wait_until_written(written: Callable[[], bool], blocked: Callable[[], bool], gone: Callable[[], bool],
                       sleep: Callable[[float], None], connection: str) -> bool:
    """Sleep until `written()`; True if it was, False if the wait was given up (see above: counted
    in the metrics and logged with `connection`, the answer's connection, unless it is gone).
    `blocked()`: the writer is inside a write that waits for the client to read."""
    start = time.monotonic()
    blocked_since: float | None = None
    pause = 0.0  # the writer's turn first: usually all it takes
    while not written():
        if gone():
            return False
        now = time.monotonic()
        if now - start >= WAITED_AT_MOST:
            return _given_up("behind", connection, now - start)
        if blocked():
            blocked_since = now if blocked_since is None else blocked_since
            if now - blocked_since >= BLOCKED_AT_MOST:
                return _given_up("not_reading", connection, now - start)
        else:
            blocked_since = None
        sleep(pause)
        pause = min(max(pause * 2, 0.001), 0.02)
    return True


def _given_up(reason: str, connection: str, waited: float) -> bool:
    metrics.answer_not_waited_for(reason)
    log.info("answer on connection %s not written after %.3f s (%s): its change leaves before it",
             connection, waited, reason)
    return False
