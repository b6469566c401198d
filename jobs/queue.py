"""The app's job queue: a Huey instance built from the settings, with every declared job on it.

Storage: SqliteHuey in a file of the instance folder (`JOBS_SQLITE_PATH`) on one machine, or
RedisHuey (`JOBS_REDIS_URL`, by default the Socket.IO message queue's Redis) for several.
Either way a job waits in storage until a consumer (`flask jobs-worker`) takes it, so a
restart of the web or the consumer loses none. Results are not stored: jobs change rows,
and failures are kept in the job_failures table (jobs.failures) for the operators.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey
from huey.api import Huey, Task, TaskWrapper
from huey.exceptions import RetryTask

from events.unit_of_work import atomic, in_unit, on_commit
from jobs.registry import RETRY_BACKOFF, Job, RetryLater, declared_jobs

log = logging.getLogger(__name__)

QUEUE_NAME = "switchboard"
# Modules that declare jobs: imported before registering, so every process (web, consumer)
# registers the same jobs whatever it imported first.
JOB_MODULES = ("actions.files", "actions.file_cleanup", "actions.broadcasts", "actions.group_admin",
               "actions.security_log", "actions.codes", "actions.registration", "actions.web_push")


@dataclass(frozen=True)
class WaitingJob:
    """A job in storage: queued (eta None) or scheduled (a retry, or a job asked for later)."""

    id: str
    name: str
    arguments: tuple
    eta: datetime | None  # UTC
    retries_left: int


class JobQueue:
    """The Huey instance of one app, and its registered jobs by name."""

    def __init__(self, app: Flask, huey: Huey) -> None:
        self.app = app
        self.huey = huey
        self.tasks: dict[str, TaskWrapper] = {}

    def register(self, job: Job) -> None:
        options = {"retries": job.retries, "retry_delay": self.app.config["JOBS_RETRY_DELAY_SECONDS"],
                   "retry_backoff": RETRY_BACKOFF, "name": job.function.__name__, "context": True}
        runner = _runner(self.app, job)
        if job.periodic is not None:
            self.tasks[job.name] = self.huey.periodic_task(job.periodic, **options)(runner)
        else:
            self.tasks[job.name] = self.huey.task(**options)(runner)

    def enqueue(self, job: Job, *args: Any) -> str:
        """Put the job in storage now; returns its id. Use `enqueue_on_commit` from actions."""
        return self.enqueue_named(job.name, args)

    def enqueue_named(self, name: str, args: tuple | list) -> str:
        task = self.tasks[name].s(*args)
        self.huey.enqueue(task)
        return task.id

    def enqueue_named_on_commit(self, name: str, args: tuple | list) -> None:
        if not in_unit():
            raise RuntimeError("enqueueing on commit needs an open unit of work (events.unit_of_work.atomic)")
        if name not in self.tasks:
            raise KeyError(f"no job named {name}")

        def enqueue() -> None:
            try:
                self.enqueue_named(name, args)
            except Exception:
                log.exception("could not enqueue %s%r after its transaction committed", name, tuple(args))

        on_commit(enqueue)

    def queued_count(self) -> int:
        return self.huey.pending_count()

    def scheduled_count(self) -> int:
        return self.huey.scheduled_count()

    def queued(self, limit: int = 50) -> list[WaitingJob]:
        return [_waiting(task) for task in self.huey.pending(limit)]

    def scheduled(self, limit: int = 50) -> list[WaitingJob]:
        return [_waiting(task) for task in self.huey.scheduled(limit)]


def build_huey(config: dict) -> Huey:
    """RedisHuey when JOBS_REDIS_URL is set, else SqliteHuey in JOBS_SQLITE_PATH."""
    if config["JOBS_REDIS_URL"]:
        return RedisHuey(QUEUE_NAME, url=config["JOBS_REDIS_URL"], results=False)
    path = Path(config["JOBS_SQLITE_PATH"])
    path.parent.mkdir(parents=True, exist_ok=True)
    # fsync on commit: a job acknowledged to the enqueuer survives a power cut too.
    return SqliteHuey(QUEUE_NAME, filename=str(path), results=False, fsync=True)


def init_jobs(app: Flask) -> JobQueue:
    """Build the app's queue, register every declared job and the failure records, relay the
    consumer's events to this process's sockets (jobs.relay), add the CLI."""
    import importlib

    from jobs.consumer import register_commands
    from jobs.failures import connect_signals
    from jobs.relay import init_relay

    for module in JOB_MODULES:
        importlib.import_module(module)
    queue = JobQueue(app, build_huey(app.config))
    for job in declared_jobs():
        queue.register(job)
    connect_signals(queue)
    app.extensions["jobs"] = queue
    init_relay(app)
    register_commands(app)
    return queue


def job_queue() -> JobQueue:
    return current_app.extensions["jobs"]


def enqueue_on_commit(job: Job, *args: Any) -> None:
    """Enqueue `job(*args)` once the open unit of work commits; never if it rolls back.

    So a job never runs before the rows it reads exist. Enqueueing happens after the commit:
    if the queue's storage fails at that moment, the job is lost and the error is logged."""
    job_queue().enqueue_named_on_commit(job.name, args)


def _runner(app: Flask, job: Job):
    """What the consumer calls: the job in an app context, as one unit of work. A job that raises
    RetryLater is tried again after the seconds it asks for, not the queue's backoff (a 429's Retry-After):
    the run counts as a failed one (a retry spent, a job_failures row), as any error's; unless it says it
    did not try (`tried` false: put back unchanged, nothing spent nor recorded)."""
    def run(*args: Any, task: Task | None = None) -> None:
        try:
            with app.app_context(), atomic():
                job.function(*args)
        except RetryLater as later:
            if task is not None and not later.tried:
                # Huey gives a RetryTask its retry back before taking one: the job keeps the retries it had.
                raise RetryTask(str(later), delay=max(later.seconds, 0)) from later
            if task is None or not task.retries:
                raise  # the last run: fails as any error does
            from jobs.failures import record_job_error

            record_job_error(app, task, later)
            task.retries -= 1  # Huey gives a RetryTask its retry back, then takes one: this one is spent
            raise RetryTask(str(later), delay=max(later.seconds, 0)) from later

    run.__module__, run.__name__, run.__doc__ = job.function.__module__, job.function.__name__, job.function.__doc__
    return run


def job_name(task: Task) -> str:
    """The declared job's name (jobs.registry.Job.name) of a task taken from the queue."""
    return f"{type(task).__module__}.{type(task).__name__}"


def _waiting(task: Task) -> WaitingJob:
    return WaitingJob(id=task.id, name=job_name(task), arguments=tuple(task.args), eta=task.eta,
                      retries_left=task.retries)
