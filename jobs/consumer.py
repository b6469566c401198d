"""The job consumer: `flask jobs-worker`, a process of its own beside gunicorn.

It builds the app like gunicorn does, without gevent's monkey patching: its workers are
threads (JOBS_WORKERS of them), each running one job at a time in its own app context.
A scheduler thread starts the periodic jobs and the retries that are due. Without a Redis
bus, the events of its jobs reach the web process's sockets through jobs.relay.

Stopping: SIGTERM (systemd's, scripts/serve's) waits up to SHUTDOWN_SECONDS for the jobs
that are running, SIGINT (Ctrl-C) stops at once; either way an unfinished job goes back
into the queue (jobs.failures), and SIGHUP restarts the process.
"""
from __future__ import annotations

import logging

import click
from flask import Flask
from huey.consumer import Consumer

from jobs.relay import publish_through_relay
from ops.readiness import needs_current_schema

SHUTDOWN_SECONDS = 30


def build_consumer(app: Flask, workers: int | None = None, periodic: bool = True) -> Consumer:
    queue = app.extensions["jobs"]
    return queue.huey.create_consumer(
        workers=workers or app.config["JOBS_WORKERS"],
        worker_type="thread",
        periodic=periodic,
        initial_delay=0.1,
        backoff=1.15,
        max_delay=app.config["JOBS_POLL_SECONDS"],  # an idle SQLite queue is polled this often; Redis blocks
        scheduler_interval=1,
        graceful_signal="TERM",
        shutdown_timeout=SHUTDOWN_SECONDS,
    )


def register_commands(app: Flask) -> None:
    @app.cli.command("jobs-worker")
    @click.option("--workers", type=click.IntRange(min=1), default=None,
                  help="Worker threads, at least 1 (default: JOBS_WORKERS).")
    @click.option("--periodic/--no-periodic", default=True, show_default=True,
                  help="Start the periodic jobs (upload purge, storage sweep…); one consumer per queue is enough.")
    @needs_current_schema
    def jobs_worker(workers: int | None, periodic: bool) -> None:
        """Run the background job consumer until stopped (SIGTERM: finish running jobs first)."""
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("huey").setLevel(logging.INFO)
        publish_through_relay(app)
        build_consumer(app, workers, periodic).run()
