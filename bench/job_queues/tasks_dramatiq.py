import os

import dramatiq
from common import record
from dramatiq.brokers.redis import RedisBroker

dramatiq.set_broker(RedisBroker(url=os.environ["REDIS"]))


@dramatiq.actor(max_retries=0)
def work(sent: float) -> None:
    record(sent)
