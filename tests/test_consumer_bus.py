"""The job consumer's Redis bus (realtime.socketio_adapter.init_realtime): the consumer builds the app with
SOCKETIO_ASYNC_MODE=gevent but without gevent's monkey patching (jobs.consumer), so nothing spawned on
gevent's loop there ever runs. After an outage its bus must still find Redis again (its probe), as the
web worker's does, and say so once."""
from __future__ import annotations

import logging

import pytest

from offload import gevent_patched
from tests import database_apps
from tests.servers import wait_for

pytestmark = pytest.mark.integration


def test_the_unpatched_consumers_bus_finds_redis_again_after_an_outage(stoppable_redis, tmp_path, migrated_sqlite,
                                                                       caplog):
    assert not gevent_patched()  # as in `flask jobs-worker`
    app = database_apps.testing_app(database_apps.sqlite_copy(migrated_sqlite, tmp_path), tmp_path,
                      {"SOCKETIO_ASYNC_MODE": "gevent", "SOCKETIO_MESSAGE_QUEUE": stoppable_redis.url})
    bus = app.extensions["realtime_bus"]
    caplog.set_level(logging.WARNING, logger="realtime.bus")
    stoppable_redis.stop()
    bus.publish([{"to": "no-such-transport"}])  # a job's event while Redis is away: the bus is degraded
    assert bus.state == "degraded"
    stoppable_redis.start()
    wait_for(lambda: bus.state == "ok", timeout=10, what="the consumer's bus back")
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2 and "Redis unreachable" in messages[0] and "reachable again" in messages[1]
