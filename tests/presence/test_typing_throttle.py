"""realtime/typing.py's two throttles, in the process and in a real Redis, keep the same rule: one
"is typing" told every 2 s per user and conversation, one "stopped" per "is typing" told (while it is
shown), and a message ends both."""
from __future__ import annotations

import time

import pytest
import redis

from realtime import typing as typing_module
from realtime.typing import LocalThrottle, RedisThrottle


@pytest.fixture(params=["process", "redis"])
def throttle(request):
    if request.param == "process":
        return LocalThrottle()
    client = redis.Redis.from_url(request.getfixturevalue("redis_server").url, db=15)  # a database of its own
    client.flushdb()
    return RedisThrottle(client, redis.RedisError)


def test_typing_then_stopped_are_told_once_each(throttle):
    assert throttle.allow(1, 10) is True
    assert throttle.allow(1, 10) is False  # within 2 s
    assert throttle.allow(2, 10) is True and throttle.allow(1, 11) is True  # another user, another conversation
    assert throttle.stopped(1, 10) is True
    assert throttle.stopped(1, 10) is False  # told already
    assert throttle.allow(1, 10) is False  # stopping does not end the wait
    assert throttle.stopped(3, 10) is False  # never shown typing


def test_a_message_ends_the_wait_and_what_was_shown(throttle):
    assert throttle.allow(1, 10) is True
    throttle.reset(1, 10)
    assert throttle.stopped(1, 10) is False  # the message cleared it for the members
    assert throttle.allow(1, 10) is True


def test_the_wait_and_the_showing_expire(throttle, monkeypatch):
    monkeypatch.setattr(typing_module, "TYPING_EVERY_SECONDS", 0.2)
    monkeypatch.setattr(typing_module, "TYPING_SHOWN_SECONDS", 0.4)
    assert throttle.allow(1, 10) is True
    time.sleep(0.5)
    assert throttle.stopped(1, 10) is False  # members stopped showing it by themselves
    assert throttle.allow(1, 10) is True
