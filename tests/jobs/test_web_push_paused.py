"""A push put back because its push service's host is paused (actions.web_push UNREACHABLE_PAUSE: another push
to it timed out) did not try: through Huey's consumer it keeps its retries and writes no job_failures row, so a
hanging push service does not use up, in a minute, the retries of every message queued for it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from actions import web_push
from actions.messages import send_message
from events.unit_of_work import atomic
from extensions import db
from jobs import job_queue
from jobs.registry import DEFAULT_RETRIES
from models import JobFailure
from models.time import utcnow
from tests.factories import make_group
from tests.helpers import push_keys
from tests.jobs.conftest import fresh
from tests.servers import wait_for

HOST = "fcm.googleapis.com"


@pytest.fixture
def paused_host(app, tmp_path):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid_private_key.pem")
    web_push._unreachable_until.clear()
    web_push._pause(HOST)
    yield HOST
    web_push._unreachable_until.clear()


def queue_push(alice, bob, age: timedelta = timedelta(0)) -> None:
    """Alice writes to offline bob: sending enqueues his push (realtime.web_push_adapter), as in the product."""
    group = make_group(alice, "Team", [bob])
    web_push.subscribe(bob, {"endpoint": f"https://{HOST}/fcm/send/bob", "keys": push_keys()})
    db.session.commit()
    with atomic():
        message = send_message(alice, group.id, "hello").message
        message.created_at -= age
    assert job_queue().queued_count() == 1


def test_a_push_to_a_paused_host_is_put_back_without_spending_a_retry(app, alice, bob, paused_host, start_consumer):
    queue_push(alice, bob)
    start_consumer()
    wait_for(lambda: job_queue().scheduled_count() == 1, what="the push put back")
    [waiting] = job_queue().scheduled()
    assert waiting.name == web_push.send_message_push.name and waiting.retries_left == DEFAULT_RETRIES
    assert timedelta(seconds=web_push.UNREACHABLE_PAUSE - 10) < waiting.eta - utcnow()
    assert fresh(JobFailure.__table__.select()).first() is None


def test_a_push_paused_past_its_ttl_is_dropped(app, alice, bob, paused_host, start_consumer, caplog):
    """Put back untried for as long as its host hangs, but a message older than WEB_PUSH_TTL_SECONDS (what a push
    service keeps for a device that is off) is no news any more: not pushed, not put back, not a failure."""
    queue_push(alice, bob, age=timedelta(seconds=app.config["WEB_PUSH_TTL_SECONDS"] + 60))
    start_consumer()
    wait_for(lambda: "longer than WEB_PUSH_TTL_SECONDS" in caplog.text, what="the push dropped")
    wait_for(lambda: job_queue().queued_count() == 0 and not job_queue().huey._tasks_in_flight, what="the job done")
    assert job_queue().scheduled_count() == 0
    assert fresh(JobFailure.__table__.select()).first() is None
