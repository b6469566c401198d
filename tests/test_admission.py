"""events.admission: the gate in front of the units of work. Places taken in order of arrival, handed
over to the first in line, never waited for again by a thread already admitted, and a wait past the
bound refused as an outage (`unavailable`). Threads stand in for greenlets here (the gate keys both
the same way); the live behaviour on PostgreSQL is in tests/faults/test_postgres_restart.py."""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import pytest

from actions.accounts import issue_api_token
from actions.messages import send_message
from blueprints.faults import fault_answer
from events.admission import UnitGate, UnitsBusy
from events.unit_of_work import atomic
from extensions import db, socketio
from models import Message
from tests.clients import IsolatedSocketClient
from tests.factories import PASSWORD
from tests.helpers import bearer
from tests.query_count import statements


def _in_line(gate: UnitGate, waiting: int) -> None:
    for _ in range(2000):
        if gate.waiting == waiting:
            return
        threading.Event().wait(0.005)
    raise AssertionError(f"{waiting} never in line (now {gate.waiting})")


def test_places_are_handed_to_the_waiting_in_the_order_they_came():
    gate, admitted = UnitGate(1, timeout=10), []
    gate.enter()

    def unit(number: int) -> None:
        gate.enter()
        admitted.append(number)
        gate.leave()

    threads = []
    for number in range(6):
        threads.append(threading.Thread(target=unit, args=(number,)))
        threads[-1].start()
        _in_line(gate, number + 1)
    gate.leave()
    for thread in threads:
        thread.join(10)
    assert admitted == list(range(6))
    assert (gate.in_use, gate.waiting) == (0, 0)


def test_while_both_lines_wait_senders_get_every_other_place_each_line_in_order():
    gate, admitted = UnitGate(1, timeout=10), []
    gate.enter()

    def unit(name: str) -> None:
        gate.enter(send=name.startswith("send"))
        admitted.append(name)
        gate.leave()

    threads = []
    for number, name in enumerate(["read 0", "read 1", "read 2", "send 0", "send 1"]):
        threads.append(threading.Thread(target=unit, args=(name,)))
        threads[-1].start()
        _in_line(gate, number + 1)
    assert gate.sends_waiting == 2
    gate.leave()
    for thread in threads:
        thread.join(10)
    assert admitted == ["send 0", "read 0", "send 1", "read 1", "read 2"]
    assert (gate.in_use, gate.waiting, gate.sends_waiting) == (0, 0, 0)


def test_a_send_that_waits_past_the_bound_leaves_the_senders_line():
    gate = UnitGate(1, timeout=0.05)
    gate.enter()
    with pytest.raises(UnitsBusy):
        _enter_elsewhere(gate, timeout=0.05, send=True)
    assert (gate.waiting, gate.sends_waiting) == (0, 0)
    gate.leave()
    assert gate.in_use == 0


@pytest.mark.parametrize("app_settings", [{"DATABASE_UNITS_AT_ONCE": 1}])
def test_a_message_sent_over_rest_waits_in_the_senders_line_and_a_read_does_not(app, alice, group):
    gate, headers, answers = app.extensions["unit_gate"], bearer(alice), []

    def request(method: str, path: str, **kwargs) -> None:
        with app.app_context():  # this thread's own (the test client's session helper needs one)
            answers.append(getattr(app.test_client(), method)(path, headers=headers, **kwargs).status_code)

    with held_elsewhere(gate):
        reader = threading.Thread(target=request, args=("get", "/api/conversations"))
        reader.start()
        _in_line(gate, 1)
        assert gate.sends_waiting == 0
        sender = threading.Thread(target=request, args=("post", f"/api/conversations/{group.id}/messages"),
                                  kwargs={"json": {"body": "in the senders' line", "client_id": "line-1"}})
        sender.start()
        _in_line(gate, 2)
        assert gate.sends_waiting == 1
    reader.join(10)
    sender.join(10)
    assert sorted(answers) == [200, 201]


def test_a_place_given_back_goes_to_the_first_in_line_not_to_a_newcomer():
    gate = UnitGate(1, timeout=10)
    gate.enter()
    with held_elsewhere(gate, wait_for_it=False) as admitted:
        _in_line(gate, 1)
        gate.leave()  # handed over at once: no place is free for whoever comes next, woken or not
        assert (gate.in_use, gate.waiting) == (1, 0)
        with pytest.raises(UnitsBusy):
            _enter_elsewhere(gate, timeout=0.05)
        assert admitted.wait(10)
    assert (gate.in_use, gate.waiting) == (0, 0)


@contextlib.contextmanager
def held_elsewhere(gate: UnitGate, wait_for_it: bool = True) -> Iterator[threading.Event]:
    """A place taken by another thread (set once it has it) until the block ends."""
    admitted, done = threading.Event(), threading.Event()

    def hold() -> None:
        gate.enter()
        admitted.set()
        done.wait(10)
        gate.leave()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        if wait_for_it:
            assert admitted.wait(10)
        yield admitted
    finally:
        done.set()
        holder.join(10)


def _enter_elsewhere(gate: UnitGate, timeout: float, send: bool = False) -> None:
    """Enter from another thread (this one may hold a place) and raise what it raised."""
    gate.timeout = timeout
    raised: list[BaseException] = []

    def enter() -> None:
        try:
            gate.enter(send=send)
        except BaseException as error:  # noqa: BLE001
            raised.append(error)
        else:
            gate.leave()

    thread = threading.Thread(target=enter)
    thread.start()
    thread.join(10)
    if raised:
        raise raised[0]


def test_an_admitted_thread_never_waits_again_for_an_inner_unit():
    gate = UnitGate(1, timeout=10)
    gate.enter()
    gate.enter()  # would wait 10 s (and then fail) if it queued behind itself
    gate.leave()
    with pytest.raises(UnitsBusy):  # the outer unit still holds the place
        _enter_elsewhere(gate, timeout=0.05)
    gate.leave()
    _enter_elsewhere(gate, timeout=0.05)
    assert (gate.in_use, gate.waiting) == (0, 0)


def test_a_wait_past_the_bound_is_an_outage_answered_unavailable_and_leaves_the_line():
    gate = UnitGate(1, timeout=0.05)
    gate.enter()
    with pytest.raises(UnitsBusy) as refused:
        _enter_elsewhere(gate, timeout=0.05)
    assert gate.waiting == 0
    assert fault_answer(refused.value, "a test").code == "unavailable"
    gate.leave()
    assert gate.in_use == 0


@pytest.mark.parametrize("app_settings", [{"DATABASE_UNITS_AT_ONCE": 1}])
def test_a_unit_opened_in_another_app_context_inside_an_admitted_one_joins_its_place(app, alice, group):
    gate = app.extensions["unit_gate"]
    assert gate.size == 1
    with atomic():
        send_message(alice, group.id, "outer")
        with app.app_context(), atomic():  # its own session: a unit of its own, but this thread's place
            assert gate.in_use == 1
            # another session: it reads what was committed (SQLite has one writer: the outer unit)
            assert db.session.execute(db.select(Message.body)).scalars().all() == []
    assert (gate.in_use, gate.waiting) == (0, 0)
    assert db.session.execute(db.select(Message.body)).scalars().all() == ["outer"]


@pytest.mark.parametrize("app_settings", [{"DATABASE_UNITS_AT_ONCE": 1}])
def test_a_request_and_its_actions_hold_one_place_which_they_give_back(app, client, alice, auth):
    auth.login("alice")
    assert client.get("/api/conversations").status_code == 200
    assert app.extensions["unit_gate"].in_use == 0
    assert client.get("/static/css/app.css").status_code == 200  # a file: no unit, no place
    assert app.extensions["unit_gate"].in_use == 0


@pytest.mark.parametrize("state", ["confirmed", "must_change_password", "unconfirmed"])
def test_a_static_file_reads_nothing_from_the_database(client, auth, state):
    """The page's scripts, styles and icons, fetched by a signed-in browser: no statement (the checks
    sending a temporary password or an unconfirmed account to their forms loaded the user first: one
    query a file, outside any unit). Such sessions' pages are still sent to those forms."""
    from actions.accounts import register_user

    user = register_user("alice", PASSWORD, confirmed=state != "unconfirmed")
    user.must_change_password = state == "must_change_password"
    db.session.commit()
    auth.login("alice")
    with statements() as seen:
        assert client.get("/static/css/app.css").status_code == 200
        assert client.get("/static/js/chat/composer.js").status_code == 200
    assert seen == []
    page = client.get("/")
    assert page.status_code == 200 if state == "confirmed" else (
        page.status_code == 302 and ("/password" if state == "must_change_password" else "/confirm") in page.location)


@pytest.mark.parametrize("app_settings", [{"DATABASE_UNITS_AT_ONCE": 1}])
def test_while_every_place_is_taken_a_request_waits_its_bound_and_the_probes_answer(app, client, alice, auth):
    auth.login("alice")
    gate = app.extensions["unit_gate"]
    with held_elsewhere(gate):
        gate.timeout = 0.1
        refused = client.get("/api/conversations")
        assert (refused.status_code, refused.get_json()["error"]["code"]) == (503, "unavailable")
        assert client.get("/healthz").status_code == 200  # no unit: a liveness probe never waits in line
        assert gate.waiting == 0
    assert client.get("/api/conversations").status_code == 200


@pytest.mark.parametrize("app_settings", [{"DATABASE_UNITS_AT_ONCE": 1}])
def test_a_token_sockets_connect_reads_outside_any_unit_but_behind_the_gate(app, alice, monkeypatch):
    """A token's connect reads its token, user and rooms on a connection of its own, in no unit of work
    (events.unit_of_work.connection_for_a_read): it still takes a place, so that a reconnect storm's
    thousands cannot take the pool from the units, and a wait past the bound refuses it (retryable)."""
    token = issue_api_token(alice).token
    gate, refusals = app.extensions["unit_gate"], []
    enter = gate.enter

    def entering(send: bool = False) -> None:
        try:
            enter(send=send)
        except UnitsBusy as busy:
            refusals.append(busy)
            raise

    monkeypatch.setattr(gate, "enter", entering)
    with held_elsewhere(gate):
        gate.timeout = 0.1
        assert IsolatedSocketClient(app, socketio, auth={"token": token}).is_connected() is False
        assert len(refusals) == 1 and gate.waiting == 0
    assert IsolatedSocketClient(app, socketio, auth={"token": token}).is_connected()
    assert len(refusals) == 1 and (gate.in_use, gate.waiting) == (0, 0)


def test_sqlite_has_no_gate_by_default(app):
    assert app.config["DATABASE_UNITS_AT_ONCE"] == 0 and app.extensions["unit_gate"] is None
