"""SqliteHuey as Switchboard configures it (results off, fsync on)."""
import tempfile

from common import record
from huey import SqliteHuey

huey = SqliteHuey("bench", filename=f"{tempfile.gettempdir()}/switchboard-bench-jobs.db", results=False, fsync=True)


@huey.task()
def work(sent: float) -> None:
    record(sent)
