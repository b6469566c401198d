"""CPU-heavy calls (password hashing) on a small pool of native threads, off the event loop.

Under gunicorn's gevent worker one loop serves every request and socket: a call that keeps
the CPU for 80 ms (scrypt) holds up everyone for 80 ms. `run_off_loop` hands the call to a
native thread and waits for it cooperatively, so the loop goes on serving others meanwhile
(hashlib releases the GIL while it hashes). The pool is small and bounded: when all its
threads are busy, further calls wait their turn, and never take more CPU than `threads` cores.

Once gevent has patched `threading` its threads are greenlets, so the pool is then gevent's
own ThreadPool of real threads; otherwise (the threading mode of the development server and
the tests, the job consumer) a concurrent.futures pool. One pool per process, made on first use.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

Result = TypeVar("Result")

_pool: Any = None
_pool_lock = threading.Lock()


def run_off_loop(function: Callable[..., Result], *args: Any, threads: int = 2) -> Result:
    """`function(*args)` on the process's pool of native threads; waits for its result."""
    pool = _get_pool(threads)
    if _gevent_patched():
        return pool.apply(function, args)
    return pool.submit(function, *args).result()


def _gevent_patched() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and monkey.is_module_patched("threading")


def _get_pool(threads: int):
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                if _gevent_patched():
                    from gevent.threadpool import ThreadPool

                    _pool = ThreadPool(maxsize=threads)
                else:
                    _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="offload")
    return _pool
