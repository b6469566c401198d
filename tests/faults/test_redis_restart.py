"""Redis restarted under traffic, with two instances over PostgreSQL + Redis (the bus, presence):
while it is down, sends are still stored and acknowledged, frames are lost to other instances'
sockets, every socket is told `delivery_status` "degraded" (also one that connects meanwhile),
and clients that reconnect are still answered (presence waits for Redis); afterwards every process
subscribes again by itself, tells its sockets "ok", and clients fill what they missed with their
resync. Every acknowledged message is stored once, every client ends with exactly the stored
messages, and each instance logged the outage once (degraded, then resumed) and no error."""
from __future__ import annotations

import random
import time

import pytest

from tests.engines import PostgresServer, RedisServer
from tests.faults.conftest import SmallChat
from tests.servers import start_instances

pytestmark = [pytest.mark.integration, pytest.mark.faults]

USERS = 6
SECONDS = 12.0
REDIS_DOWN = (0.3, 0.5)  # of the writing period: stopped, then started again on the same port
DEGRADED, RESUMED = "message bus: Redis unreachable", "message bus: Redis reachable again"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    postgres = PostgresServer().start()
    redis = RedisServer(tmp_path_factory.mktemp("redis-restart")).start()
    # The send rate limit on (far above this load): its counters live in the same Redis.
    env = {"DATABASE_URL": postgres.url, "SOCKETIO_MESSAGE_QUEUE": redis.url, "SEND_PER_MINUTE": "60000",
           "SEND_BURST": "1000"}
    instances = start_instances([tmp_path_factory.mktemp("redis-1"), tmp_path_factory.mktemp("redis-2")], env,
                                jobs=False)
    yield instances, redis
    for instance in instances:
        instance.stop()
    redis.stop()
    postgres.stop()


def test_clients_recover_what_a_redis_restart_lost(deployment):
    servers, redis = deployment
    chat = SmallChat.start(servers[0].url, USERS, random.Random(19))

    def step(writing: bool) -> None:
        for client in chat.clients:
            client.step(servers, writing=writing)
        chat.hub.pump_once(0.005)

    try:
        started = time.monotonic()
        stop_at, start_at = (started + at * SECONDS for at in REDIS_DOWN)
        while (now := time.monotonic()) < started + SECONDS:
            if redis.process is not None and stop_at <= now < start_at:
                redis.stop()
                for client in chat.clients[:2]:  # they come back while Redis is down (presence lives there)
                    client.kill()
            elif redis.process is None and now >= start_at:
                redis.start()
            step(writing=True)
        if redis.process is None:  # reconnects waiting on the outage may have taken the rest of the period
            redis.start()
        chat.finish(step)

        tally = chat.tally
        print(f"\nRedis restarted: {tally.sends} sends ({tally.retries} retries), {tally.edits} edits, "
              f"{tally.deletes} deletes, {tally.connects} connects, {tally.syncs} syncs ({tally.gap_syncs} for a gap, "
              f"{tally.status_syncs} when told delivery is ok again)")
        for server in servers:  # the outage logged once by each instance (not per message), and no error
            lines = server.log_text().splitlines()
            errors = [line for line in lines if " ERROR " in line or "CRITICAL" in line or "Traceback" in line
                      or "internal_error" in line or "Error handling request" in line]
            assert errors == []
            assert [line.count(DEGRADED) + 2 * line.count(RESUMED) for line in lines
                    if DEGRADED in line or RESUMED in line] == [1, 2]
            assert sum("rate limit counters unavailable" in line for line in lines) <= 1  # not one per send
            assert sum("presence: Redis unavailable" in line for line in lines) <= 1  # not one per socket
        for client in chat.clients[2:]:  # connected all along: told it was degraded, then that it is ok again
            assert client.delivery_states == ["degraded", "ok"], client.delivery_states
        for client in chat.clients[:2]:  # they reconnected meanwhile: their last word is "ok"
            assert client.delivery_states[-1:] == ["ok"] and "degraded" in client.delivery_states
        assert tally.status_syncs >= len(chat.clients)
        chat.check()
    finally:
        chat.hub.close()
