"""realtime.held_elsewhere: holds in a real Redis that every process can ask, gone on release or on their own."""
import socket
import time
from contextlib import closing

import pytest

from events.unreleased import UnreleasedRevisions
from realtime.held_elsewhere import NEWEST_ASKED, QUIET_AFTER_FAILURE, RedisHolds
from tests.servers import wait_for

pytestmark = pytest.mark.integration


def test_a_process_holding_for_a_transport_is_seen_by_the_others_until_it_lets_go(redis_server):
    holder, other = UnreleasedRevisions(), UnreleasedRevisions()  # two processes on one Redis
    holder.elsewhere, other.elsewhere = RedisHolds(redis_server.url), RedisHolds(redis_server.url)
    holder.hold([(101, 2)])  # a job's commit: nobody waits for an answer, nobody needs to know
    assert holder.held_between(101, 2, 2) and not other.held_between(101, 1, 9)
    holder.let_go([(101, 2)])
    holder.hold([(101, 3), (102, 9)], for_a_transport=True)
    assert other.held_between(101, 1, 3) and other.held_between(102, 9, 9)
    assert not other.held_between(101, 4, 8) and not other.held_between(103, 1, 9)
    holder.let_go([(101, 3)], for_a_transport=True)
    assert not other.held_between(101, 1, 3) and other.held_between(102, 9, 9)
    # A long range (a conversation's first frame at a process: is anything below it held?) asks for
    # the newest revisions of it, which are the ones that can still be held.
    assert other.held_between(102, 1, 9 + NEWEST_ASKED - 1)
    assert not other.held_between(102, 1, 9 + NEWEST_ASKED)


def test_a_hold_never_let_go_of_is_forgotten_after_the_longest_hold(redis_server):
    holds = RedisHolds(redis_server.url, held_at_most=0.3)
    started = time.monotonic()  # before the hold: Redis counts its 0.3 s from later
    holds.hold([(201, 1)])
    assert holds.held_between(201, 1, 1)
    wait_for(lambda: not holds.held_between(201, 1, 1), timeout=5, interval=0.02, what="the hold to expire")
    assert time.monotonic() - started >= 0.25


def test_without_redis_nothing_is_held_and_nothing_fails():
    holds = RedisHolds("redis://127.0.0.1:9/0")  # nothing listens on the discard port
    holds.hold([(301, 1)])
    holds.let_go([(301, 1)])
    assert not holds.held_between(301, 1, 1)


def test_a_redis_that_never_answers_is_left_alone_for_a_moment_after_each_failure():
    # A cut network: connections made, nothing answered. Each held change would wait the timeout
    # with its conversation's row locked; after one failure Redis is not asked for QUIET_AFTER_FAILURE.
    with closing(socket.create_server(("127.0.0.1", 0))) as silent:
        silent.setblocking(False)
        now = [0.0]
        holds = RedisHolds(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", timeout=0.2, clock=lambda: now[0])
        holds.hold([(401, 1)])  # waits 0.2 s for an answer that never comes
        assert connections_made(silent) == 1
        holds.hold([(401, 2)])
        holds.let_go([(401, 1), (401, 2)])
        assert not holds.held_between(401, 1, 2)
        assert connections_made(silent) == 0  # a connect would be waiting in the backlog: none was tried
        now[0] = QUIET_AFTER_FAILURE
        assert not holds.held_between(401, 1, 2)
        assert connections_made(silent) == 1  # asked again after the quiet time


def connections_made(listener: socket.socket) -> int:
    """Connections waiting to be accepted (the kernel completes a connect to 127.0.0.1 before it returns)."""
    accepted = []
    while True:
        try:
            accepted.append(listener.accept()[0])
        except BlockingIOError:
            break
    for connection in accepted:
        connection.close()
    return len(accepted)
