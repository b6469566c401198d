"""realtime/bus.py's RedisBus against a real Redis that is stopped and started again: publications
that fail go to this process's own sockets, the state changes once per outage (degraded, then ok
once it has subscribed again), and it is logged once, not per frame."""
from __future__ import annotations

import logging
import os
import signal
import threading
import time

import pytest

from realtime.bus import RedisBus
from tests.servers import wait_for

pytestmark = pytest.mark.integration


def start_thread(target, *args) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, daemon=True)
    thread.start()
    return thread


def test_an_outage_is_said_once_and_frames_still_reach_this_process(stoppable_redis, caplog):
    received: list[list[dict]] = []
    states: list[str] = []
    bus = RedisBus(stoppable_redis.url, received.append, start_thread, time.sleep, on_status=states.append)
    bus.start_receiving()
    wait_for(lambda: bus.publish([{"n": 0}]) or [{"n": 0}] in received, what="the subscription")  # over Redis

    caplog.set_level(logging.WARNING, logger="realtime.bus")
    stoppable_redis.stop()
    for number in (1, 2, 3):
        bus.publish([{"n": number}])  # fails: delivered here all the same
    assert received[-3:] == [[{"n": 1}], [{"n": 2}], [{"n": 3}]]
    assert bus.state == "degraded"

    stoppable_redis.start()
    wait_for(lambda: bus.state == "ok", what="the bus back")
    bus.publish([{"n": 4}])
    wait_for(lambda: received[-1] == [{"n": 4}], what="a frame over Redis again")
    assert states == ["degraded", "ok"]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2 and "Redis unreachable" in messages[0] and "reachable again" in messages[1]


def test_a_redis_that_stops_answering_without_closing_is_found_out(stoppable_redis):
    """SIGSTOP: connections stay open and nothing answers (a network that drops packets looks the same)."""
    received: list[list[dict]] = []
    states: list[str] = []
    bus = RedisBus(stoppable_redis.url, received.append, start_thread, time.sleep, on_status=states.append,
                   ping_seconds=0.5)
    bus.start_receiving()
    wait_for(lambda: bus.publish([{"n": 0}]) or [{"n": 0}] in received, what="the subscription")

    os.kill(stoppable_redis.process.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: states == ["degraded"], timeout=10, what="the silence noticed")
    finally:
        os.kill(stoppable_redis.process.pid, signal.SIGCONT)
    wait_for(lambda: states == ["degraded", "ok"], timeout=15, what="the subscription made again")
    bus.publish([{"n": 1}])
    wait_for(lambda: received[-1] == [{"n": 1}], what="a frame over Redis again")


def test_what_is_published_in_one_turn_of_the_loop_leaves_as_one_publication_in_order(stoppable_redis):
    received: list[list[dict]] = []
    listener = RedisBus(stoppable_redis.url, received.append, start_thread, time.sleep)
    listener.start_receiving()
    wait_for(lambda: listener.publish([{"n": 0}]) or [{"n": 0}] in received, what="the subscription")
    turns: list = []  # the background tasks the publisher starts, run when the test says the turn is over
    publisher = RedisBus(stoppable_redis.url, lambda frames: None, turns.append, time.sleep, per_turn=True)
    publisher.publish([{"n": 1}])  # a commit's Socket.IO frames,
    publisher.publish([{"n": 2}, {"n": 3}])  # then its gateway frames: nothing sent yet, one sender started
    assert len(turns) == 1
    turns.pop()()
    publisher.publish([{"n": 4}])
    assert len(turns) == 1
    turns.pop()()
    wait_for(lambda: received[-1] == [{"n": 4}], what="the second publication")
    assert received[-2:] == [[{"n": 1}, {"n": 2}, {"n": 3}], [{"n": 4}]]


def test_a_frame_published_once_start_receiving_has_returned_reaches_this_process(stoppable_redis):
    """A socket's connect calls start_receiving, then its client syncs: whatever another process
    publishes after that must arrive. On a loaded machine the listener starts its work late (here by
    half a second); start_receiving returns only once Redis has confirmed the subscription, so the
    publication that follows at once is not passed by (it was before: the page's first message lost)."""
    received: list[list[dict]] = []

    def start_late(target, *args) -> threading.Thread:
        return start_thread(lambda: (time.sleep(0.5), target(*args)))

    listener = RedisBus(stoppable_redis.url, received.append, start_late, time.sleep)
    listener.start_receiving()
    RedisBus(stoppable_redis.url, lambda frames: None, start_thread, time.sleep).publish([{"n": 1}])
    wait_for(lambda: [{"n": 1}] in received, timeout=5, what="the frame published after start_receiving")
    listener.start_receiving()  # the second call returns at once: the subscription stands
