"""models.database on SQLite under gevent, as gunicorn's worker runs it: a write waiting for the write lock
gives the loop back, so the holder of the lock, a greenlet of the same worker, can finish and let it in.
SQLite's own wait (busy_timeout) sleeps inside the driver's call, the loop stopped with it: the holder never
moved again, and the write failed "database is locked" when the wait gave up. Each case runs in a process
of its own, patched by gevent before anything else (the test process is not)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.servers import ROOT

# The holder takes the lock on a connection of its own, then waits (a greenlet's pause: its client, its
# storage, the thread pool) before committing; the writer starts while it holds the lock.
SCRIPT = """
from gevent import monkey

monkey.patch_all()

import json, sqlite3, sys, time

import gevent
from sqlalchemy import Column, Integer, MetaData, Table, create_engine

from models.database import begin_writing, configure_engine_events

path, how = sys.argv[1], sys.argv[2]
engine = create_engine("sqlite:///" + path)
configure_engine_events(engine, 0)
notes = Table("notes", MetaData(), Column("id", Integer, primary_key=True))
notes.create(engine)

holder = sqlite3.connect(path, isolation_level=None)
holder.execute("BEGIN IMMEDIATE")


def hold_then_commit():
    gevent.sleep(0.3)
    holder.execute("INSERT INTO notes (id) VALUES (1)")
    holder.execute("COMMIT")


held = gevent.spawn(hold_then_commit)
outcome = {}
try:
    with engine.connect() as connection:
        if how == "begin_writing":
            begin_writing(connection)
        connection.execute(notes.insert().values(id=2))
        connection.commit()
    outcome["written"] = True
except Exception as error:
    outcome["error"] = str(error).splitlines()[0]
held.join()
with engine.connect() as connection:
    outcome["ids"] = sorted(row.id for row in connection.execute(notes.select()))
    outcome["busy_timeout_ms"] = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
print(json.dumps(outcome))
"""


@pytest.mark.parametrize("how", ["begin_writing", "a_first_write"])
def test_a_write_waiting_for_the_lock_lets_the_holder_in_the_same_loop_finish(tmp_path, how):
    """Through begin_writing (a unit's savepoint, hold_account_unchecked) and through a first write outside any
    transaction (a token's first use, noted while the request is authenticated)."""
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "locks.db"), how], cwd=ROOT, text=True,
                          capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout)
    assert outcome.get("error") is None
    assert outcome == {"written": True, "ids": [1, 2], "busy_timeout_ms": 5000}
