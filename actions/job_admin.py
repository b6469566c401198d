"""Operators look after background jobs: what waits, what failed and why; run a failed job again.

Huey holds the waiting jobs (jobs.queue); the job_failures table holds what went wrong
(jobs.failures). Running a failed job again is safe: every job may run twice.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

from actions.access import access_operator
from actions.audit import record
from actions.errors import Conflict, NotFound
from events.unit_of_work import atomic
from extensions import db
from jobs.queue import WaitingJob, job_queue
from models import JobFailure, User


@dataclass(frozen=True)
class JobsOverview:
    queued: int  # waiting for a worker
    scheduled: int  # waiting for their time: retries after a failure, jobs asked for later
    retrying: int  # failed at least once, retries left
    failed: int  # retries spent
    queued_jobs: list[WaitingJob]
    scheduled_jobs: list[WaitingJob]


@dataclass(frozen=True)
class JobCounts:
    queued: int
    scheduled: int
    retrying: int
    failed: int


def job_counts() -> JobCounts:
    """How many jobs wait, and how many failed (the metrics and the operations page)."""
    queue = job_queue()
    failures = dict(db.session.execute(
        db.select(JobFailure.status, func.count(JobFailure.id)).group_by(JobFailure.status)
    ).all())
    return JobCounts(queued=queue.queued_count(), scheduled=queue.scheduled_count(),
                     retrying=failures.get("retrying", 0), failed=failures.get("failed", 0))


def jobs_overview(limit: int = 50) -> JobsOverview:
    """Counts and the first waiting jobs, for the operators' Jobs page."""
    queue = job_queue()
    counts = job_counts()
    return JobsOverview(queued=counts.queued, scheduled=counts.scheduled, retrying=counts.retrying,
                        failed=counts.failed, queued_jobs=queue.queued(limit), scheduled_jobs=queue.scheduled(limit))


def run_failed_job_again(operator: User, failure_id: int) -> JobFailure:
    """Queue a failed job again with the same arguments (after the commit, like any job)."""
    with atomic():
        operator = access_operator(operator)
        failure = _failure(failure_id)
        if failure.status != "failed":
            raise Conflict("job_not_failed", "Only jobs whose retries are spent can be run again.")
        queue = job_queue()
        if failure.job_name not in queue.tasks:
            raise Conflict("job_unknown", "This version of Switchboard has no such job any more.")
        record(operator, "job.run_again", "job_failure", failure.id, {"status": failure.status},
               {"status": "requeued", "job": failure.job_name, "arguments": failure.arguments})
        failure.status = "requeued"
        queue.enqueue_named_on_commit(failure.job_name, list(failure.arguments))
        return failure


def dismiss_job_failure(operator: User, failure_id: int) -> JobFailure:
    """Forget a failure (it was looked into); the audit log keeps what it said."""
    with atomic():
        operator = access_operator(operator)
        failure = _failure(failure_id)
        record(operator, "job.dismiss", "job_failure", failure.id,
               {"job": failure.job_name, "arguments": failure.arguments, "status": failure.status,
                "error": failure.error}, None)
        db.session.delete(failure)
        return failure


def _failure(failure_id: int) -> JobFailure:
    failure = db.session.get(JobFailure, failure_id)
    if failure is None:
        raise NotFound("job_failure_not_found", "No such job failure.")
    return failure
