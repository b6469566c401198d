"""Job queues compared (docs/deployment.md, "Background jobs"): enqueue cost, drain throughput of
2000 queued jobs with one worker process, and pickup latency of a job enqueued to an idle worker.

In a throwaway virtualenv (none of these but Huey are Switchboard's dependencies):
    python3 -m venv /tmp/qbench && /tmp/qbench/bin/pip install huey==3.5.4 rq==2.12.0 "dramatiq[redis]==2.2.1"
    redis-server --port 6399 --save "" &
    cd bench/job_queues && REDIS=redis://127.0.0.1:6399/0 /tmp/qbench/bin/python run.py
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import tasks_dramatiq
import tasks_huey_redis
import tasks_huey_sqlite
import tasks_rq
from common import connection

JOBS, PICKUPS = 2000, 50
redis = connection()


def worker(*command: str) -> subprocess.Popen:
    environment = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen([sys.executable, "-m", *command], env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure(name: str, enqueue, command: list[str]) -> None:
    redis.flushall()
    started = time.perf_counter()
    for _ in range(JOBS):
        enqueue(0.0)
    enqueue_us = (time.perf_counter() - started) / JOBS * 1e6
    process = worker(*command)
    started = time.perf_counter()
    while int(redis.get("done") or 0) < JOBS:
        time.sleep(0.01)
    drain = time.perf_counter() - started
    time.sleep(2)  # idle: polling workers back off
    pickups = []
    for _ in range(PICKUPS):
        redis.delete("ran")
        sent = time.time()
        enqueue(sent)
        while redis.get("ran") is None:
            time.sleep(0.001)
        pickups.append((float(redis.get("ran")) - sent) * 1000)
        time.sleep(0.2)
    process.terminate()
    process.wait()
    print(f"{name:12} enqueue {enqueue_us:6.1f} µs  drain {JOBS / drain:6.0f} jobs/s  "
          f"idle pickup p50 {statistics.median(pickups):6.1f} ms, max {max(pickups):6.1f} ms", flush=True)


if __name__ == "__main__":
    measure("huey-sqlite", tasks_huey_sqlite.work,
            ["huey.bin.huey_consumer", "tasks_huey_sqlite.huey", "-w", "2", "-m", "1"])
    measure("huey-redis", tasks_huey_redis.work, ["huey.bin.huey_consumer", "tasks_huey_redis.huey", "-w", "2"])
    measure("rq", lambda sent: tasks_rq.queue.enqueue(tasks_rq.work, sent),
            ["rq.cli", "worker", "--url", os.environ["REDIS"], "default"])
    measure("dramatiq", tasks_dramatiq.work.send, ["dramatiq", "tasks_dramatiq", "-p", "1", "-t", "2"])
