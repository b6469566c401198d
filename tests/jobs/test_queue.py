"""jobs.queue and jobs.failures through Huey's own consumer (threads in this process) on
SQLite storage: enqueued after commit or never, retried with growing delays, failures
recorded for the operators, interrupted jobs queued again."""
from __future__ import annotations

import pytest

from events.unit_of_work import atomic
from jobs import enqueue_on_commit, job_queue
from jobs.registry import RETRY_BACKOFF
from models import JobFailure, User
from tests.jobs.conftest import fresh
from tests.jobs.sample_jobs import always_fails, asks_to_wait, fails_at_first, make_marker, released, wait_for_release
from tests.servers import wait_for


def marker_exists(username: str) -> bool:
    return fresh(User.__table__.select().where(User.username == username)).first() is not None


def failure_of(job_name: str) -> JobFailure | None:
    return fresh(JobFailure.__table__.select().where(JobFailure.job_name == job_name)).first()


def test_a_job_is_enqueued_when_its_unit_of_work_commits_and_then_runs(app, start_consumer):
    with atomic():
        enqueue_on_commit(make_marker, "committed")
        assert job_queue().queued_count() == 0  # not before the commit
    assert [job.name for job in job_queue().queued()] == [make_marker.name]
    start_consumer()
    wait_for(lambda: marker_exists("committed"), what="the job's mark")
    assert job_queue().queued_count() == 0


def test_a_rolled_back_unit_of_work_enqueues_nothing(app, start_consumer):
    with pytest.raises(RuntimeError, match="changed my mind"), atomic():
        enqueue_on_commit(make_marker, "rolled-back")
        raise RuntimeError("changed my mind")
    assert job_queue().queued_count() == 0 and job_queue().scheduled_count() == 0


def test_enqueueing_outside_a_unit_of_work_is_refused(app):
    with pytest.raises(RuntimeError, match="unit of work"):
        enqueue_on_commit(make_marker, "nowhere")


def test_a_failing_job_is_retried_with_growing_delays_then_recorded_as_failed(app, start_consumer):
    with atomic():
        enqueue_on_commit(always_fails, "the disk is full")
    start_consumer()
    wait_for(lambda: (failure := failure_of(always_fails.name)) and failure.status == "failed", timeout=15,
             what="the failure after the last retry")
    failure = failure_of(always_fails.name)
    assert failure.attempts == 3  # the first run and its 2 retries
    assert failure.error == "RuntimeError('the disk is full')" and "raise RuntimeError(reason)" in failure.traceback
    assert failure.arguments == ["the disk is full"]
    assert job_queue().queued_count() == 0 and job_queue().scheduled_count() == 0


def test_a_job_asking_to_wait_is_retried_when_it_asked_not_at_the_queues_backoff(app, start_consumer):
    """jobs.registry.RetryLater (a push service's 429 with Retry-After): the next run is scheduled that many
    seconds later, not JOBS_RETRY_DELAY_SECONDS (0.2 s here); the run spends a retry and is recorded."""
    from datetime import timedelta

    from models.time import utcnow

    with atomic():
        enqueue_on_commit(asks_to_wait, 120)
    start_consumer()
    wait_for(lambda: job_queue().scheduled_count() == 1, what="the retry scheduled")
    [waiting] = job_queue().scheduled()
    assert waiting.name == asks_to_wait.name and waiting.retries_left == 1
    assert timedelta(seconds=110) < waiting.eta - utcnow() <= timedelta(seconds=120)
    failure = failure_of(asks_to_wait.name)
    assert (failure.status, failure.attempts, failure.error) == ("retrying", 1, "RetryLater('busy: retry after 120 s')")


def test_a_job_asking_to_wait_fails_once_its_retries_are_spent(app, start_consumer):
    with atomic():
        enqueue_on_commit(asks_to_wait, 0.1)
    start_consumer()
    wait_for(lambda: (failure := failure_of(asks_to_wait.name)) and failure.status == "failed", timeout=15,
             what="the failure after the last retry")
    assert failure_of(asks_to_wait.name).attempts == 3
    assert job_queue().queued_count() == 0 and job_queue().scheduled_count() == 0


def test_retry_delays_double(app):
    task = job_queue().tasks[always_fails.name].s("x")
    assert (task.retries, task.retry_delay, task.retry_backoff) == (2, 0.2, RETRY_BACKOFF)


def test_a_job_that_fails_then_succeeds_is_marked_recovered(app, start_consumer, tmp_path):
    with atomic():
        enqueue_on_commit(fails_at_first, str(tmp_path / "runs"), 2, "third-time-lucky")
    start_consumer()
    wait_for(lambda: marker_exists("third-time-lucky"), timeout=15, what="the third run")
    wait_for(lambda: failure_of(fails_at_first.name).status == "recovered", what="the failure marked recovered")
    assert failure_of(fails_at_first.name).attempts == 2


def test_a_job_interrupted_by_the_consumer_stopping_goes_back_to_the_queue(app, start_consumer):
    released.clear()
    with atomic():
        enqueue_on_commit(wait_for_release, "interrupted")
    consumer = start_consumer()
    wait_for(lambda: job_queue().huey._tasks_in_flight, what="the job to start")
    consumer.stop(graceful=False)
    job_queue().huey.notify_interrupted_tasks()  # what Consumer.run() does as it exits
    assert [job.name for job in job_queue().queued()] == [wait_for_release.name]
    released.set()
