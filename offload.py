"""CPU-heavy calls (password hashing, picture decoding) on a small pool of native threads, off the event loop;
long SQLite reads on a pool of their own (long_reads.py).

Under gunicorn's gevent worker one loop serves every request and socket: a call that keeps
the CPU for 80 ms (scrypt) holds up everyone for 80 ms. `run_off_loop` hands the call to a
native thread and waits for it cooperatively, so the loop goes on serving others meanwhile
(hashlib releases the GIL while it hashes). The pool is small and bounded: when all its
threads are busy, further calls wait their turn, and never take more CPU than `threads` cores.
On Linux the pool's threads run at a lower CPU priority (nice 10): when the machine is short of
cores, the loop gets one before a password does. The line is bounded too: a caller waiting for
a thread holds whatever it holds (a request's database connection), so past `waiting` callers
in line the next one is refused at once with 503 `server_busy`, rather than let many guessers
take every connection of the pool.

Once gevent has patched `threading` its threads are greenlets, so the pool is then gevent's
own ThreadPool of real threads; otherwise (the threading mode of the development server and
the tests, the job consumer) a concurrent.futures pool. One pool per name and process, made on first
use: "work" (passwords and pictures) and "reads" (long_reads.py), so that a long search never holds
up a login, nor a login a search.
"""
from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from actions.errors import ActionError

Result = TypeVar("Result")

_pools: dict[str, Any] = {}  # by name: "work" (passwords, pictures), "reads" (long_reads.py)
_pool_lock = threading.Lock()
_in_line: dict[str, int] = {}  # calls handed to each pool, running or waiting
THREAD_NICENESS = 10


class ServerBusy(ActionError):
    status = 503
    headers = {"Retry-After": "1"}

    def __init__(self) -> None:
        super().__init__("server_busy",
                         "The server is busy (checking passwords or resizing pictures): try again in a moment.")


def run_off_loop(function: Callable[..., Result], *args: Any, threads: int = 2, waiting: int = 8,
                 pool_name: str = "work", stop: Callable[[], None] | None = None) -> Result:
    """`function(*args)` on the process's pool of native threads of that name (made with `threads` on
    first use); waits for its result. ServerBusy if `threads` calls run and `waiting` more wait already.

    If the waiting greenlet is killed meanwhile (GreenletExit, a Timeout), `stop()` (if given) asks the
    call to end early, and the kill goes on only once the thread is done with the call: what the call uses
    is the caller's (a database connection, which the caller's clean-up then closes)."""
    pool = _get_pool(pool_name, threads)
    with _pool_lock:
        if _in_line.get(pool_name, 0) >= threads + waiting:
            raise ServerBusy()
        _in_line[pool_name] = _in_line.get(pool_name, 0) + 1
    try:
        if gevent_patched():
            done = pool.spawn(_at_low_priority, function, args).get
        else:
            done = pool.submit(_at_low_priority, function, args).result
        try:
            result, error = done()
        except BaseException:  # killed while waiting (the call itself never raises: _at_low_priority)
            if stop is not None:
                stop()
            _until_done(done)
            raise
    finally:
        with _pool_lock:
            _in_line[pool_name] -= 1
    if error is not None:
        raise error
    return result


def _until_done(done: Callable[[], object]) -> None:
    """Wait for the thread's call to end, whatever else is raised here meanwhile (a second kill)."""
    while True:
        try:
            done()
            return
        except BaseException:  # noqa: BLE001, S112  (still running: wait again)
            continue


def _at_low_priority(function: Callable[..., Result], args: tuple) -> tuple[Result | None, Exception | None]:
    """(result, None) or (None, what it raised). The pool's thread never raises: gevent's ThreadPool
    prints the traceback of anything raised there as the hub's error, although the caller gets it too
    (a picture refused as unreadable is the caller's 422, not a fault)."""
    if sys.platform.startswith("linux"):  # per thread on Linux (elsewhere it would be the whole process)
        try:
            os.setpriority(os.PRIO_PROCESS, 0, THREAD_NICENESS)  # 0: the calling thread
        except OSError:
            pass
    try:
        return function(*args), None
    except Exception as error:  # noqa: BLE001  (raised again on the caller's side, by run_off_loop)
        return None, error


def gevent_patched() -> bool:
    """Whether this process runs under gevent's loop (wsgi.py patches it): not the job consumer nor the CLI."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def _get_pool(name: str, threads: int):
    pool = _pools.get(name)
    if pool is None:
        with _pool_lock:
            pool = _pools.get(name)
            if pool is None:
                if gevent_patched():
                    from gevent.threadpool import ThreadPool

                    pool = ThreadPool(maxsize=threads)
                else:
                    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"offload-{name}")
                _pools[name] = pool
    return pool
