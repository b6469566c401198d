"""Jobs that exist only for the tests of the queue itself: one that leaves a mark, one that
always fails, one that fails a given number of times, one that waits to be released."""
from __future__ import annotations

import threading
from pathlib import Path

from extensions import db
from jobs import job
from jobs.registry import RetryLater
from models import User
from tests.factories import make_user

released = threading.Event()


@job(retries=2)
def make_marker(username: str) -> None:
    """Leaves a user named `username` (once: safe to run twice)."""
    if db.session.execute(db.select(User.id).where(User.username == username)).first() is None:
        make_user(username)


@job(retries=2)
def always_fails(reason: str) -> None:
    raise RuntimeError(reason)


@job(retries=3)
def fails_at_first(counter_file: str, failures: int, username: str) -> None:
    """Fails its first `failures` runs (counted in a file), then leaves its mark."""
    counter = Path(counter_file)
    runs = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(runs))
    if runs <= failures:
        raise ValueError(f"run {runs} fails")
    make_marker(username)


@job(retries=0)
def wait_for_release(username: str) -> None:
    released.wait(10)
    make_marker(username)


@job(retries=2)
def asks_to_wait(seconds: float) -> None:
    """A service answered "Retry-After: seconds" (a push service's 429)."""
    raise RetryLater(seconds, f"busy: retry after {seconds:g} s")
