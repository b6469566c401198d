"""Assertion helpers for unit tests: the events a test socket received, the whole database,
and refusals (`refused`: the status and code of a refused call that changed nothing)."""
from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import event, select
from werkzeug.test import TestResponse

from actions.errors import ActionError
from extensions import db
from tests.servers import wait_for


def events(socket) -> list[tuple[str, object]]:
    """What the Flask-SocketIO test client received since last asked, as (event, payload) pairs."""
    received = []
    for packet in socket.get_received():
        arguments = packet["args"]
        received.append((packet["name"], arguments[0] if len(arguments) == 1 else arguments))
    return received


def wait_for_events(socket, count: int) -> list[tuple[str, object]]:
    """Events a socket handler releases after its ack (in a background task): wait for `count` of them."""
    wait_for(lambda: len(socket.queue) >= count, timeout=10, what=f"{count} events")
    return events(socket)


def names(received: list[tuple[str, object]]) -> list[str]:
    return [name for name, _ in received]


# A refused login leaves a trace on purpose: the security log's row and the login name's failure count.
RECORDS_OF_REFUSALS = {"security_events", "login_lockouts"}


# A credential's use is noted whatever becomes of its request (events.note_in_any_case): it was used.
NOTES_OF_USE = {"api_tokens": "last_used_at", "login_sessions": "last_seen_at"}


def database_rows() -> dict[str, list[tuple]]:
    """Every row of every table (but the records of refusals and the notes of a credential's use), to show
    that a refused request changed nothing."""
    db.session.expire_all()
    rows = {}
    for table in db.metadata.sorted_tables:
        if table.name in RECORDS_OF_REFUSALS:
            continue
        columns = [column for column in table.c if column.name != NOTES_OF_USE.get(table.name)]
        result = db.session.execute(select(*columns).order_by(columns[0]))
        rows[table.name] = [tuple(row) for row in result]
    return rows


def bearer(user) -> dict:
    """Headers carrying a fresh API token of the user."""
    from actions.accounts import issue_api_token

    return {"Authorization": f"Bearer {issue_api_token(user).token}"}


def error_of(response) -> tuple[int, str]:
    """(status, code) of a refused JSON response (a test client's or a live server's), after checking its shape."""
    body = response.json() if isinstance(response, requests.Response) else response.get_json()
    assert body["ok"] is False and set(body) == {"ok", "error"}, body
    # These say in their body too how long to wait (a socket ack has no Retry-After header).
    waits = body["error"].get("code") in ("rate_limited", "account_locked")
    fields = {"code", "message", "retry_after"} if waits else {"code", "message"}
    assert set(body["error"]) == fields and body["error"]["message"], body
    return response.status_code, body["error"]["code"]


def refused(call, *args, **kwargs) -> tuple[int, str]:
    """(status, code) of a call that must be refused, after checking that it changed nothing in the
    database. The call is an action that raises ActionError, e.g. `refused(send_message, carol,
    group.id, "hi")`, or a test client request, e.g. `refused(client.post, url, headers=..., json=...)`."""
    before = database_rows()
    try:
        answer = call(*args, **kwargs)
    except ActionError as error:
        refusal = error.status, error.code
    else:
        assert isinstance(answer, TestResponse), f"not refused: {answer!r}"
        refusal = error_of(answer)
    assert database_rows() == before
    return refusal


def run_queued_jobs() -> list[str]:
    """Take every queued job out of the app's job queue and run it here, as the consumer would
    (each in an app context and a unit of work of its own); returns their names in order."""
    from jobs import job_queue
    from jobs.queue import job_name

    queue, ran = job_queue(), []
    while (task := queue.huey.dequeue()) is not None:
        queue.huey.execute(task)
        ran.append(job_name(task))
    return ran


def push_keys() -> dict:
    """A browser's PushSubscription keys as toJSON() gives them: a fresh P-256 public key and a 16-byte
    auth secret, base64url without padding (the server refuses keys no push could be encrypted to)."""
    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": base64.urlsafe_b64encode(public).rstrip(b"=").decode(),
            "auth": base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()}


def run_at_once(app, requests: dict, watch=None) -> dict[str, object]:
    """Run each request (a function of no arguments) in a thread of its own named by its key, each with its
    own app context and database connection, started in the order given, while `watch` (an
    `after_cursor_execute` listener, which tells the requests apart by `threading.current_thread().name`)
    sees every statement: the races of tests/test_message_change_races.py and test_group_ownership_races.py.
    Returns what each returned (read inside its thread, before its session ends) or raised, by name."""
    outcomes: dict[str, object] = {}

    def run(name, request):
        with app.app_context():
            try:
                outcomes[name] = request()
            except BaseException as error:  # noqa: BLE001 (reported to the test)
                outcomes[name] = error
            finally:
                db.session.remove()

    if watch is not None:
        event.listen(db.engine, "after_cursor_execute", watch)
    try:
        threads = [threading.Thread(target=run, args=(name, request), name=name) for name, request in requests.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
    finally:
        if watch is not None:
            event.remove(db.engine, "after_cursor_execute", watch)
    return outcomes


# How long each of two racing requests waits at the barrier for the other's first read: below SQLite's
# busy_timeout of 5 s, which a request waiting for the lock waits in.
BARRIER_SECONDS = 2


def deletion_first(app, delete, other, outcome: Callable[[object], object]) -> dict[str, object]:
    """Run `delete` and `other` (run_at_once, named so) side by side; if both read the message side by side
    (their first statement FROM messages passes a barrier for two), `other` waits a moment after that read
    so that the deletion commits first; a read that waits for the other's lock times the barrier out, and
    the first one goes on. Returns `outcome` of what each returned, or what it raised, by name."""
    barrier = threading.Barrier(2, timeout=BARRIER_SECONDS)
    read = set()

    def after_execute(_connection, _cursor, statement, *_):
        name = threading.current_thread().name
        if name in ("delete", "other") and name not in read and "FROM messages" in statement:
            read.add(name)
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                return
            if name == "other":
                time.sleep(0.5)

    return run_at_once(app, {"delete": lambda: outcome(delete()), "other": lambda: outcome(other())}, after_execute)
