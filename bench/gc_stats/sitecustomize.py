"""The cyclic garbage collector's work in a server process, for bench/storm.py --gc-stats (issue 15).

Python imports `sitecustomize` at start-up from the first directory of sys.path that has one: with this
directory on PYTHONPATH and GC_STATS_FILE set, every process started so (gunicorn's master, and its worker
forked from it) records each collection it runs: when (wall clock), which generation, the CPU it took and,
for a full collection, how many objects the collector tracks after it. Each process writes its records as
JSON to GC_STATS_FILE with its pid before the extension, after its first collection, every full one and
every 50th young one (the last few young ones of a run may be missing). Not loaded by the app: a
measurement only.
"""
import gc
import json
import os
import time

_PATH = os.environ.get("GC_STATS_FILE")


def _record() -> None:
    collections: list[list] = []
    started = [0.0]

    def write() -> None:
        stem, extension = os.path.splitext(_PATH)
        path = f"{stem}-{os.getpid()}{extension}"
        with open(path + ".part", "w") as file:
            json.dump(collections, file)
        os.replace(path + ".part", path)

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.process_time()
            return
        seconds = time.process_time() - started[0]
        full = info["generation"] == 2
        collections.append([time.time(), info["generation"], seconds, len(gc.get_objects()) if full else None])
        if full or len(collections) % 50 == 1:
            write()

    gc.callbacks.append(timed)


if _PATH:
    _record()
