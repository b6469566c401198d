"""long_reads.py: on SQLite a statement marked long runs on a native thread, with the same result, while
the event loop serves others; the reads that may take long (the chat search's whole search, the back
office's lists and counts, the dashboard's counts) are marked."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import event, exc, text

import actions.dashboard
from actions import search
from actions.dashboard import SETTLED_KEY, dashboard
from actions.messages import send_message
from extensions import db
from long_reads import LONG_READ, long_read
from models import Message
from tests.admin.conftest import logged_in
from tests.factories import make_group

ROOT = Path(__file__).resolve().parent.parent
NATIVE_THREAD = text("SELECT native_thread()")


@pytest.fixture
def native_thread_function(app):
    """SQL `native_thread()`: the id of the OS thread that runs the statement."""
    connection = db.session.connection().connection.dbapi_connection
    connection.create_function("native_thread", 0, threading.get_native_id)


def test_a_long_read_runs_on_another_thread_and_others_in_place(native_thread_function):
    here = threading.get_native_id()
    assert db.session.execute(NATIVE_THREAD).scalar_one() == here
    assert db.session.execute(long_read(NATIVE_THREAD)).scalar_one() != here


def test_a_long_read_gives_what_the_same_read_in_place_gives(app, alice, bob):
    group = make_group(alice, members=[bob])
    for number in range(5):
        send_message(alice, group.id, f"message {number}")
    statement = db.select(Message).where(Message.conversation_id == group.id).order_by(Message.id)
    in_place = [(m.id, m.body, m.created_at, m.sender.username) for m in db.session.execute(statement).scalars()]
    db.session.expire_all()
    off_loop = [(m.id, m.body, m.created_at, m.sender.username)
                for m in db.session.execute(long_read(statement)).scalars()]
    assert off_loop == in_place and len(in_place) == 5 and all(isinstance(row[2], datetime) for row in in_place)


def test_a_long_read_that_fails_raises_as_in_place_and_the_unit_goes_on(app):
    with pytest.raises(exc.OperationalError, match="no such table"):
        db.session.execute(long_read(text("SELECT * FROM no_such_table")))
    db.session.rollback()
    assert db.session.execute(long_read(text("SELECT 41 + 1"))).scalar_one() == 42


@contextmanager
def long_reads_seen():
    """Whether each statement sent in the block was marked long: [(statement, marked)]."""
    seen: list[tuple[str, bool]] = []

    def record(_connection, _cursor, statement, _parameters, context, _executemany):
        seen.append((" ".join(statement.split()), bool(context.execution_options.get(LONG_READ))))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_the_chat_searchs_whole_search_is_a_long_read(app, alice, monkeypatch):
    group = make_group(alice)
    send_message(alice, group.id, "lunch at noon")
    monkeypatch.setattr(search, "RECENT_MATCHES", 0)  # no window: the whole search, as in a quiet conversation
    with long_reads_seen() as seen:
        page = search.search_messages("lunch", conversation_ids=[group.id])
    assert [message.body for message in page.messages] == ["lunch at noon"]
    assert [marked for statement, marked in seen if "MATCH" in statement] == [True]


def test_the_back_office_lists_and_counts_are_long_reads(app, operator, alice):
    send_message(alice, make_group(alice).id, "lunch at noon")
    client = logged_in(app, operator.username)
    with long_reads_seen() as seen:
        assert client.get("/admin/message/?search=lunch").status_code == 200
    reads = [(statement, marked) for statement, marked in seen
             if statement.startswith("SELECT") and "FROM messages" in statement]
    assert reads and all(marked for _, marked in reads), seen  # the page's rows
    assert not any("count(" in statement for statement, _ in reads), reads  # listed without a total (admin/paging.py)


def test_an_accounts_newest_messages_on_its_back_office_page_are_a_long_read(app, operator, alice):
    send_message(alice, make_group(alice).id, "hello")
    client = logged_in(app, operator.username)
    with long_reads_seen() as seen:
        page = client.get(f"/admin/user/manage/?id={alice.id}")
    assert page.status_code == 200 and "hello" in page.get_data(as_text=True)
    assert [marked for statement, marked in seen if "FROM messages WHERE messages.sender_id" in statement] == [True]


def test_the_dashboards_counts_of_messages_are_long_reads(app, alice, monkeypatch):
    stamped = send_message(alice, make_group(alice).id, "hello").message.created_at
    # Both visits on the message's day (a UTC midnight between them would make the second a first visit too).
    monkeypatch.setattr(actions.dashboard, "utcnow", lambda: stamped)
    app.extensions.pop(SETTLED_KEY, None)  # nothing kept yet: this process's first visit of the day
    with long_reads_seen() as seen:
        assert dashboard().messages_today == 1
    counted = [marked for statement, marked in seen if "count(" in statement and "FROM messages" in statement]
    assert counted == [True] * 4, seen  # per day and per group: the days before today (kept), and today
    with long_reads_seen() as seen:
        assert dashboard().messages_today == 1
    counted = [marked for statement, marked in seen if "count(" in statement and "FROM messages" in statement]
    assert counted == [True] * 2, seen  # the next visit: today's alone, per day and per group


PROBE = """
import json, sys, time
from gevent import monkey
monkey.patch_all()
import gevent
from pathlib import Path
from sqlalchemy import text
from tests.database_apps import testing_app
from extensions import db
from long_reads import long_read

app = testing_app("sqlite:///" + sys.argv[1], Path(sys.argv[2]))
COUNT_TO = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
                "SELECT count(*) FROM c")
ticks = []

def tick():
    while True:
        ticks.append(time.monotonic())
        gevent.sleep(0.005)

gevent.spawn(tick)
gevent.sleep(0.05)

def ticks_during(statement):
    with app.app_context():
        db.session.connection()
        started = time.monotonic()
        assert db.session.execute(statement).scalar_one() == 3000000
        ended = time.monotonic()
        db.session.remove()
    return sum(1 for moment in ticks if started < moment < ended)

print(json.dumps({"in_place": ticks_during(COUNT_TO), "long": ticks_during(long_read(COUNT_TO))}))
"""


def test_under_gevent_the_loop_runs_while_a_long_read_does(tmp_path):
    """A worker's loop (gevent, monkey-patched, in a process of its own): a greenlet that ticks every 5 ms
    does not tick once while a statement counting to 3,000,000 runs in place, and ticks while the same
    statement runs as a long read."""
    probe = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "probe.db"), str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert probe.returncode == 0, probe.stderr
    ticks = json.loads(probe.stdout.strip().splitlines()[-1])
    assert ticks["in_place"] == 0 and ticks["long"] > 0, ticks


KILLED_PROBE = """
import random, sys
from gevent import monkey
monkey.patch_all()
import gevent
from pathlib import Path
from sqlalchemy import text
from tests.database_apps import testing_app
from extensions import db
from long_reads import long_read

app = testing_app("sqlite:///" + sys.argv[1], Path(sys.argv[2]))
ROWS = text("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
            "SELECT x, 'row ' || x FROM c")
random.seed(1)

def reader():
    with app.app_context():
        try:
            db.session.execute(long_read(ROWS)).all()
        finally:
            db.session.remove()

for _ in range(15):
    readers = [gevent.spawn(reader) for _ in range(3)]
    gevent.sleep(random.uniform(0, 0.4))
    for greenlet in readers:
        if random.random() < 0.7:
            greenlet.kill(block=False)
    gevent.joinall(readers)
with app.app_context():
    print(db.session.execute(long_read(text("SELECT 42"))).scalar_one())
"""


def test_killing_greenlets_that_wait_for_long_reads_leaves_the_process_running(tmp_path):
    """gunicorn kills what still runs after graceful_timeout; a kill while a long read runs on its thread made
    SQLAlchemy close the connection under it, and the process crashed (SIGSEGV). Found by review."""
    probe = subprocess.run([sys.executable, "-X", "faulthandler", "-c", KILLED_PROBE, str(tmp_path / "probe.db"),
                            str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert probe.returncode == 0, probe.stderr[-1500:]
    assert probe.stdout.strip().splitlines()[-1] == "42"
