"""Redis restarted under traffic, with two instances over PostgreSQL + Redis (the bus, presence):
while it is down, frames are lost to live delivery and clients that reconnect are still
answered (presence waits for Redis); afterwards every process subscribes again, and clients
fill what they missed with their resync. Every acknowledged message is stored once, every
client ends with exactly the stored messages, and the log holds only the outage's own errors."""
from __future__ import annotations

import random
import re
import time

import pytest

from tests.engines import PostgresServer, RedisServer
from tests.faults.conftest import SmallChat
from tests.servers import start_instances

pytestmark = [pytest.mark.integration, pytest.mark.faults]

USERS = 6
SECONDS = 12.0
REDIS_DOWN = (0.3, 0.5)  # of the writing period: stopped, then started again on the same port
EXPECTED_ERRORS = re.compile("event adapter SocketIOAdapter failed to deliver|lost the Redis subscription")


@pytest.fixture(scope="module")
def deployment(tmp_path_factory):
    postgres = PostgresServer().start()
    redis = RedisServer(tmp_path_factory.mktemp("redis-restart")).start()
    env = {"DATABASE_URL": postgres.url, "SOCKETIO_MESSAGE_QUEUE": redis.url}
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
              f"{tally.deletes} deletes, {tally.connects} connects, {tally.syncs} syncs ({tally.gap_syncs} for a gap)")
        for server in servers:  # what the outage logged: lost publications and the subscription, nothing else
            errors = [line for line in server.log_text().splitlines() if " ERROR " in line or "CRITICAL" in line
                      or "internal_error" in line or "Error handling request" in line]
            assert all(EXPECTED_ERRORS.search(line) for line in errors), errors
        chat.check()
    finally:
        chat.hub.close()
