"""Declaring jobs: `@job` marks a function the job consumer runs, outside any request.

A job is declared where its work lives (next to the action that enqueues it) and holds no
queue: `jobs.queue.init_jobs(app)` registers every declared job on the app's Huey instance.
Calling a job directly runs it inline, in the caller's unit of work (CLI commands, tests).
Arguments must be plain values (ids, strings): they are stored in the queue, and the job
loads what it needs again, since the rows may have changed (or gone) in between.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import crontab  # noqa: F401  (periodic jobs: @job(periodic=crontab(minute="0")))

from events.unit_of_work import atomic

# Failing jobs are retried this many times by default, after JOBS_RETRY_DELAY_SECONDS,
# then twice as long each time (10 s, 20 s, 40 s, 80 s, 160 s: about five minutes in all).
DEFAULT_RETRIES = 5
RETRY_BACKOFF = 2

_declared: dict[str, Job] = {}


class RetryLater(Exception):
    """Raised by a job whose next run should wait `seconds` (a service's Retry-After) rather than the
    queue's own backoff. Like any failure it spends one retry and is recorded in job_failures; once the
    retries are spent it fails as any error does (jobs.queue._runner). With `tried=False` the job did not
    try (put back before its work, e.g. a push to a host paused after another push timed out): it runs
    again then with the retries it had, and nothing is recorded as failed."""

    def __init__(self, seconds: float, reason: str = "", tried: bool = True) -> None:
        super().__init__(reason or f"retry in {seconds:g} s")
        self.seconds = seconds
        self.tried = tried


@dataclass(frozen=True)
class Job:
    function: Callable[..., Any]
    retries: int
    periodic: Callable[[Any], bool] | None  # a huey.crontab(...) for jobs the consumer starts itself

    @property
    def name(self) -> str:
        """Stable across releases: the queue stores it with every job waiting to run."""
        return f"{self.function.__module__}.{self.function.__name__}"

    def __call__(self, *args: Any) -> Any:
        """Run it here and now, in the caller's unit of work (or one of its own)."""
        with atomic():
            return self.function(*args)


def job(retries: int = DEFAULT_RETRIES, periodic: Callable[[Any], bool] | None = None) -> Callable[[Callable], Job]:
    """Declare a background job. Each run is one unit of work, and must be safe to run twice."""
    def declare(function: Callable[..., Any]) -> Job:
        declared = Job(function, retries, periodic)
        _declared[declared.name] = declared
        return declared
    return declare


def declared_jobs() -> list[Job]:
    return list(_declared.values())
