"""What every benchmarked job does: count itself, or record when it ran (pickup latency)."""
import os
import time

import redis


def connection() -> redis.Redis:
    return redis.Redis.from_url(os.environ["REDIS"])


def record(sent: float) -> None:
    if sent:
        connection().set("ran", time.time())
    else:
        connection().incr("done")
