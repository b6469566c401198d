"""offload.py: password hashing runs on a native thread of a small pool, never on the caller's
(the event loop's) thread, in the threading mode of the tests and under gevent alike; past the
pool's line a caller is refused at once (503 `server_busy`)."""
import os
import subprocess
import sys
import textwrap
import threading

import pytest

import models.user
from actions.accounts import authenticate, register_user
from offload import THREAD_NICENESS, ServerBusy, run_off_loop
from tests.factories import PASSWORD
from tests.helpers import error_of
from tests.servers import ROOT


def test_hashing_and_checking_a_password_run_in_another_thread_at_a_lower_priority(app, alice, monkeypatch):
    threads, priorities = [], []

    def recording(function):
        def run(*args, **kwargs):
            threads.append(threading.get_ident())
            priorities.append(os.getpriority(os.PRIO_PROCESS, 0))  # on Linux: this thread's
            return function(*args, **kwargs)
        return run

    monkeypatch.setattr(models.user, "generate_password_hash", recording(models.user.generate_password_hash))
    monkeypatch.setattr(models.user, "check_password_hash", recording(models.user.check_password_hash))
    register_user("dave", "a long password")
    assert authenticate("alice", PASSWORD) == alice
    assert len(threads) == 2 and threading.get_ident() not in threads
    assert priorities == [THREAD_NICENESS] * 2 and os.getpriority(os.PRIO_PROCESS, 0) < THREAD_NICENESS


# Under gevent: the offloaded call waits (in its thread) for something only the event loop can
# do. Run on the loop's own thread it would wait its whole timeout and return False.
GEVENT_SCRIPT = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    import gevent
    from offload import run_off_loop

    loop_ran = monkey.get_original("_thread", "allocate_lock")()  # a native lock, not gevent's
    loop_ran.acquire()
    gevent.spawn(loop_ran.release)
    print(run_off_loop(loop_ran.acquire, True, 20))
""")


def test_under_gevent_the_loop_goes_on_while_the_offloaded_call_runs():
    completed = subprocess.run([sys.executable, "-c", GEVENT_SCRIPT], cwd=ROOT, capture_output=True, text=True,
                               timeout=60)
    assert completed.stdout.strip() == "True", completed.stderr


# Under gevent: what the call raises comes back to the caller, and nothing is printed as the hub's
# error (gevent's ThreadPool prints the traceback of an exception raised in its thread).
GEVENT_RAISING_SCRIPT = textwrap.dedent("""
    from gevent import monkey; monkey.patch_all()
    from offload import run_off_loop
    try:
        run_off_loop(int, "not a number")
    except ValueError as error:
        print("caller got", type(error).__name__)
""")


def test_under_gevent_an_exception_of_the_offloaded_call_is_the_callers_and_no_traceback_is_printed():
    completed = subprocess.run([sys.executable, "-c", GEVENT_RAISING_SCRIPT], cwd=ROOT, capture_output=True,
                               text=True, timeout=60)
    assert completed.stdout.strip() == "caller got ValueError", completed.stderr
    assert "Traceback" not in completed.stderr, completed.stderr


@pytest.fixture
def occupied_pool(app):
    """The hashing pool's one thread taken by a call that waits for the test (no line behind it)."""
    app.config.update(PASSWORD_HASH_THREADS=1, PASSWORD_HASH_WAITING=0)
    release, running = threading.Event(), threading.Event()

    def hold() -> None:
        running.set()
        release.wait(20)

    holder = threading.Thread(target=run_off_loop, args=(hold,), kwargs={"threads": 1, "waiting": 0})
    holder.start()
    assert running.wait(20)
    yield
    release.set()
    holder.join(20)


def test_past_the_line_a_password_check_is_refused_at_once_with_503(client, alice, occupied_pool):
    with pytest.raises(ServerBusy):
        run_off_loop(len, "x", threads=1, waiting=0)
    response = client.post("/api/tokens", json={"username": "alice", "password": PASSWORD})
    assert error_of(response) == (503, "server_busy") and response.headers["Retry-After"] == "1"
