"""realtime.presence_tracker's decisions with a controlled clock (no server): the first connection
anywhere is announced once, a reload within the grace period says nothing, the last close says
offline once the grace is over, a flicker within one batch says nothing; with Redis, a process that
vanished is swept, and an unreachable Redis makes transitions wait, not vanish."""
from __future__ import annotations

import pytest

import realtime.presence_tracker as tracker_module
from realtime.presence import LocalPresence, RedisPresence
from realtime.presence_tracker import PresenceTracker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(tracker_module.time, "monotonic", clock)
    return clock


@pytest.fixture
def told(monkeypatch):
    changes: list[dict[int, bool]] = []
    monkeypatch.setattr("actions.presence.announce_presence_changes", lambda batch: changes.append(dict(batch)))
    return changes


def opened(store, tracker, user_id: int, sid: str) -> None:
    store.connected(user_id, sid)
    tracker.opened(user_id)


def closed(store, tracker, user_id: int, sid: str) -> None:
    store.disconnected(user_id, sid)
    tracker.closed(user_id)


def tracker_for(app, store) -> PresenceTracker:
    app.config.update(PRESENCE_GRACE_SECONDS=5, PRESENCE_BATCH_SECONDS=1)
    return PresenceTracker(app, store, lambda task: None, lambda seconds: None)


def test_tabs_reloads_and_the_last_close(app, clock, told):
    store = LocalPresence()
    tracker = tracker_for(app, store)
    opened(store, tracker, 1, "a")
    opened(store, tracker, 1, "b")
    assert tracker.flush() == {1: True}
    closed(store, tracker, 1, "a")
    closed(store, tracker, 1, "b")
    opened(store, tracker, 1, "c")  # a reload: back within the grace period
    clock.now += 10
    assert tracker.flush() == {}
    closed(store, tracker, 1, "c")
    clock.now += 4
    assert tracker.flush() == {}  # still within the grace period
    clock.now += 1
    assert tracker.flush() == {1: False}
    opened(store, tracker, 2, "d")
    closed(store, tracker, 2, "d")
    clock.now += 5
    assert tracker.flush() == {}  # online and gone within one batch: nobody hears either
    assert told == [{1: True}, {1: False}]


def test_a_vanished_process_is_swept_and_redis_outages_delay(app, clock, told, redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + "/5"  # a database of its own: the session's servers use 0
    here = RedisPresence(url, lambda task: None, lambda seconds: None)
    there = RedisPresence(url, lambda task: None, lambda seconds: None)
    here.redis.flushdb()
    tracker = tracker_for(app, here)
    there.connected(7, "x")  # a user of the other process: this one's sweep announces them
    assert tracker.flush() == {7: True}
    there.redis.delete(there.process_key)  # the other process died and its key expired
    clock.now += here.HEARTBEAT_SECONDS
    assert tracker.flush() == {}  # first seen missing: the grace period starts
    clock.now += here.HEARTBEAT_SECONDS
    assert tracker.flush() == {7: False}

    broken = RedisPresence("redis://127.0.0.1:1/0", lambda task: None, lambda seconds: None)
    cut_off = tracker_for(app, broken)
    opened(broken, cut_off, 8, "y")  # Redis unreachable: nothing known, nothing lost
    assert cut_off.flush() == {}
    broken.redis = cut_off.announced.redis = here.redis  # Redis is back
    broken.refresh()
    assert cut_off.flush() == {8: True}
    assert told == [{7: True}, {7: False}, {8: True}]


def test_a_user_who_leaves_after_redis_lost_the_announced_set_is_told_offline_once(app, clock, told, redis_server):
    url = redis_server.url.rsplit("/", 1)[0] + "/5"
    here = RedisPresence(url, lambda task: None, lambda seconds: None)
    there = RedisPresence(url, lambda task: None, lambda seconds: None)
    here.redis.flushdb()
    tracker, other = tracker_for(app, here), tracker_for(app, there)
    assert tracker.flush() == {} and other.flush() == {}  # both know the announced set's epoch (a sweep)
    opened(here, tracker, 9, "a")
    opened(there, other, 9, "b")  # the same user on two processes
    assert (tracker.flush(), other.flush()) == ({9: True}, {})
    closed(here, tracker, 9, "a")
    closed(there, other, 9, "b")
    clock.now += 5
    assert (tracker.flush(), other.flush()) == ({9: False}, {})  # one process tells, as always

    opened(here, tracker, 10, "c")
    assert tracker.flush() == {10: True}
    here.redis.flushdb()  # Redis restarted without its data: nobody knows 10 was told online
    closed(here, tracker, 10, "c")
    clock.now += 5
    assert tracker.flush() == {10: False}
    assert told == [{9: True}, {9: False}, {10: True}, {10: False}]


def test_a_connection_opened_before_the_first_sweep_knows_its_epoch_too(app, clock, told, redis_server):
    """A process's first connections (clients reconnecting to an instance that just started) come before
    its tracker's first sweep: they read the epoch themselves, or Redis losing its data would leave
    their users online for everyone."""
    url = redis_server.url.rsplit("/", 1)[0] + "/5"
    here = RedisPresence(url, lambda task: None, lambda seconds: None)
    here.redis.flushdb()
    tracker = tracker_for(app, here)
    opened(here, tracker, 11, "a")  # no flush yet: no sweep has read the epoch
    assert tracker.flush() == {11: True}
    here.redis.flushdb()
    closed(here, tracker, 11, "a")
    clock.now += 5
    assert tracker.flush() == {11: False}
    assert told == [{11: True}, {11: False}]
