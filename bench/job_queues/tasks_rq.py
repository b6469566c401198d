from common import connection, record
from rq import Queue

queue = Queue("default", connection=connection())


def work(sent: float) -> None:
    record(sent)
