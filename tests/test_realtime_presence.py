"""Presence stores: in memory, and in a real Redis shared by several processes."""
import threading
import time

import pytest

from realtime.presence import LocalPresence, RedisPresence
from tests.servers import wait_for


def no_heartbeat(_task):
    """Tests drive expiry themselves; the heartbeat greenlet is not started."""


def test_local_presence_counts_sockets_per_user():
    presence = LocalPresence()
    presence.connected(1, "a")
    presence.connected(1, "b")
    presence.connected(2, "c")
    presence.disconnected(1, "a")
    assert presence.online_user_ids() == {1, 2}
    assert presence.socket_count() == 2
    presence.disconnected(1, "b")
    presence.disconnected(3, "never-connected")
    assert presence.online_user_ids() == {2}


@pytest.mark.integration
def test_redis_presence_is_shared_by_processes(redis_server):
    first = RedisPresence(redis_server.url, no_heartbeat, time.sleep)
    second = RedisPresence(redis_server.url, no_heartbeat, time.sleep)
    first.connected(10, "s1")
    second.connected(10, "s2")
    second.connected(11, "s3")
    assert first.online_user_ids() == second.online_user_ids() == {10, 11}
    assert first.socket_count() == 3
    second.disconnected(11, "s3")
    assert first.online_user_ids() == {10}
    first.disconnected(10, "s1")
    second.disconnected(10, "s2")
    assert first.socket_count() == 0


@pytest.mark.integration
def test_redis_presence_forgets_a_process_that_stops_refreshing(redis_server):
    crashed = RedisPresence(redis_server.url, no_heartbeat, time.sleep)
    crashed.TTL_SECONDS = 1
    survivor = RedisPresence(redis_server.url, no_heartbeat, time.sleep)
    crashed.connected(20, "gone")
    survivor.connected(21, "here")
    assert survivor.online_user_ids() >= {20, 21}
    wait_for(lambda: 20 not in survivor.online_user_ids(), timeout=10, what="the crashed process's key to expire")
    assert 21 in survivor.online_user_ids()
    survivor.disconnected(21, "here")


@pytest.mark.integration
def test_redis_presence_heartbeat_keeps_the_process_key(redis_server):
    started = threading.Event()
    presence = RedisPresence(redis_server.url, lambda task: started.set(), time.sleep)
    presence.connected(30, "s")
    assert started.is_set() and presence.redis.ttl(presence.process_key) > 0
    presence.disconnected(30, "s")


@pytest.mark.integration
def test_redis_presence_goes_on_without_redis_and_is_right_again_at_the_next_heartbeat(redis_server):
    import redis

    from tests.servers import free_port

    presence = RedisPresence(f"redis://127.0.0.1:{free_port()}/0", no_heartbeat, time.sleep)  # nothing listens
    presence.connected(40, "a")  # neither raises: a socket's connect and disconnect must go on
    presence.connected(41, "b")
    presence.connected(42, "c")
    presence.disconnected(42, "c")
    presence.redis = redis.Redis.from_url(redis_server.url)  # Redis is back, empty (restarted without its data)
    presence.redis.hset(presence.process_key, "c", 42)  # and a socket that left meanwhile is still written
    presence.refresh()
    assert presence.online_user_ids() >= {40, 41} and 42 not in presence.online_user_ids()
    assert presence.redis.ttl(presence.process_key) > 0
    presence.disconnected(40, "a")
    presence.disconnected(41, "b")
    presence.refresh()
    assert not presence.redis.exists(presence.process_key)
