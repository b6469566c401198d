"""Fixtures of the job tests: the queue in a file of the test's folder, quick retries, and a
Huey consumer run in this process (threads), stopped after each test."""
from __future__ import annotations

import pytest
from huey.consumer import Consumer

from extensions import db
from jobs.queue import job_queue


@pytest.fixture
def app_settings(tmp_path):
    return {"JOBS_SQLITE_PATH": str(tmp_path / "jobs.db"), "JOBS_RETRY_DELAY_SECONDS": 0.2}


class InProcessConsumer(Consumer):
    """Huey's consumer, started from a test: its threads run, the test keeps its signal handlers."""

    def _set_signal_handlers(self) -> None:
        pass


@pytest.fixture
def start_consumer(app):
    started: list[InProcessConsumer] = []

    def start(workers: int = 1) -> InProcessConsumer:
        consumer = InProcessConsumer(job_queue().huey, workers=workers, worker_type="thread", periodic=False,
                                     initial_delay=0.05, max_delay=0.1, scheduler_interval=1)
        consumer.start()
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        consumer.stop(graceful=True)


def fresh(statement):
    """Read what other threads and processes committed (end the test's own snapshot first)."""
    db.session.rollback()
    return db.session.execute(statement)
