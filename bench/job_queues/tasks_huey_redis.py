import os

from common import record
from huey import RedisHuey

huey = RedisHuey("bench", url=os.environ["REDIS"], results=False)


@huey.task()
def work(sent: float) -> None:
    record(sent)
