"""RedisHuey, on the real redis-server fixture: the queue several machines share."""
from __future__ import annotations

import pytest
from huey import RedisHuey

from app import create_app
from events.unit_of_work import atomic
from extensions import db
from jobs import enqueue_on_commit, job_queue
from models import User
from tests.jobs.conftest import fresh
from tests.jobs.sample_jobs import make_marker
from tests.servers import wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
def app_settings(tmp_path, redis_server):
    return {"JOBS_REDIS_URL": redis_server.url, "JOBS_RETRY_DELAY_SECONDS": 0.2}


def test_jobs_wait_in_redis_until_a_consumer_runs_them(app, start_consumer):
    queue = job_queue()
    assert isinstance(queue.huey, RedisHuey)
    queue.huey.flush()  # the Redis server is shared by the session's tests
    with atomic():
        enqueue_on_commit(make_marker, "from-redis")
    with pytest.raises(RuntimeError), atomic():
        enqueue_on_commit(make_marker, "never")
        raise RuntimeError("rolled back")
    assert [(job.name, job.arguments) for job in queue.queued()] == [(make_marker.name, ("from-redis",))]
    start_consumer()
    usernames = db.select(User.username).where(User.username.in_(["from-redis", "never"]))
    wait_for(lambda: fresh(usernames).scalars().all() == ["from-redis"], what="the job run from Redis")
    assert queue.queued_count() == 0


def test_the_socket_io_message_queue_is_the_default_redis(tmp_path, redis_server):
    environ = {"SWITCHBOARD_ENV": "testing", "SOCKETIO_MESSAGE_QUEUE": redis_server.url,
               "SOCKETIO_ASYNC_MODE": "threading"}
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'other.db'}"}, environ=environ)
    assert app.config["JOBS_REDIS_URL"] == redis_server.url
    assert isinstance(app.extensions["jobs"].huey, RedisHuey)
