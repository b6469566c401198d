"""What the consumer records about failing jobs, from Huey's signals.

A job that raises gets a `job_failures` row (the error, its traceback, how many runs
failed): `retrying` while Huey will try again, `failed` once the retries are spent. A job
that succeeds after failing is marked `recovered`. A table in the app's database rather
than Huey's result store: the operators' panel lists, filters and searches it like any
other (Flask-Admin), it reads the same whether the queue is SQLite or Redis, and it
outlives flushing the queue. A job interrupted by the consumer stopping goes back into
the queue, so a restart loses none (jobs are safe to run twice).
"""
from __future__ import annotations

import logging
import traceback as tracebacks

from huey.api import PeriodicTask, Task
from huey.signals import SIGNAL_COMPLETE, SIGNAL_ERROR, SIGNAL_INTERRUPTED

from events.unit_of_work import atomic
from extensions import db
from jobs.queue import job_name
from models.job_failure import JobFailure
from models.time import utcnow
from ops.metrics import job_failed

log = logging.getLogger(__name__)

ERROR_MAX_LENGTH = 2000
TRACEBACK_MAX_LENGTH = 20_000


def connect_signals(queue) -> None:
    """Connect the receivers to the queue's Huey instance (called by init_jobs)."""
    app, huey = queue.app, queue.huey

    @huey.signal(SIGNAL_ERROR)
    def record_error(_signal: str, task: Task, exception: BaseException) -> None:
        record_job_error(app, task, exception)

    @huey.signal(SIGNAL_COMPLETE)
    def record_recovery(_signal: str, task: Task) -> None:
        if task.retries < type(task).default_retries:  # only a retried job can have failed before
            with app.app_context(), atomic():
                mark_recovered(task.id)

    @huey.signal(SIGNAL_INTERRUPTED)
    def requeue_interrupted(_signal: str, task: Task) -> None:
        if isinstance(task, PeriodicTask):
            return  # the scheduler starts it again at its next time
        log.warning("job %s was interrupted by the consumer stopping: queued again", task)
        huey.enqueue(task)


def record_job_error(app, task: Task, exception: BaseException) -> None:
    """A run that failed: counted, and its failure row added or updated. On Huey's SIGNAL_ERROR, and for a
    job that asked to be retried at a time of its own (jobs.registry RetryLater: Huey emits no error
    signal for it, jobs.queue)."""
    job_failed(job_name(task))
    with app.app_context(), atomic():
        record_failure(job_name(task), task, exception)


def record_failure(job_name: str, task: Task, exception: BaseException) -> JobFailure:
    """Add or update the task's failure row; the last run's error wins."""
    failure = db.session.execute(
        db.select(JobFailure).where(JobFailure.task_id == task.id).with_for_update()
    ).scalar_one_or_none()
    if failure is None:
        failure = JobFailure(task_id=task.id, job_name=job_name, arguments=list(task.args), attempts=0,
                             first_failed_at=utcnow())
        db.session.add(failure)
    failure.attempts += 1
    # Huey counts down: no retries left means this was the last run.
    failure.status = "retrying" if task.retries else "failed"
    failure.error = repr(exception)[:ERROR_MAX_LENGTH]
    failure.traceback = "".join(tracebacks.format_exception(exception))[-TRACEBACK_MAX_LENGTH:]
    failure.last_failed_at = utcnow()
    return failure


def mark_recovered(task_id: str) -> None:
    failure = db.session.execute(db.select(JobFailure).where(JobFailure.task_id == task_id)).scalar_one_or_none()
    if failure is not None:
        failure.status = "recovered"
