"""The per-user send rate (actions/rate_limits.limit_message_send), over a socket and REST:
SEND_BURST at once, then SEND_PER_MINUTE; past that `rate_limited` with the seconds to wait,
nothing stored; a retry of a stored message is never refused; no query added to a send.
The counters run on the test's clock: nothing here is timed."""
import pytest

import actions.rate_limits
from actions.rate_limits import MemoryCounters, RedisCounters
from extensions import db
from models import Message
from tests.factories import make_group
from tests.helpers import bearer, error_of, events
from tests.query_count import statements

LIMITED = {"SEND_BURST": 3, "SEND_PER_MINUTE": 60}  # three at once, then one a second


@pytest.fixture
def clock(app):
    now = {"now": 1_000_000.0}
    app.extensions["rate_limits"] = MemoryCounters(clock=lambda: now["now"])
    return now


def stored() -> list[str]:
    return list(db.session.execute(db.select(Message.body).order_by(Message.id)).scalars())


@pytest.mark.parametrize("app_settings", [LIMITED])
def test_a_socket_gets_rate_limited_acks_past_the_burst_then_recovers(alice, bob, socket_client_for, clock):
    group_id = make_group(alice, "Team", [bob]).id
    socket = socket_client_for("alice")

    def send(body, client_id=None):
        return socket.emit("message:send", {"conversation_id": group_id, "body": body, "client_id": client_id},
                           callback=True)

    assert [send(f"m{n}", f"c{n}")["ok"] for n in range(3)] == [True] * 3
    clock["now"] += 0.5
    refused = send("m3", "c3")
    assert refused["ok"] is False and refused["error"]["code"] == "rate_limited"
    assert refused["error"]["retry_after"] == 1 and "too fast" in refused["error"]["message"]
    retried = send("m1", "c1")  # a retry of a stored message: answered as before, not refused
    assert retried["ok"] and retried["message"]["seq"] == 2
    assert stored() == ["m0", "m1", "m2"]
    clock["now"] += 0.5  # one second after the burst: one more
    assert send("m3", "c3")["ok"]
    assert send("m4", "c4")["error"]["code"] == "rate_limited"
    clock["now"] += 60
    assert [send(f"n{n}")["ok"] for n in range(4)] == [True, True, True, False]  # a full burst again
    assert stored() == ["m0", "m1", "m2", "m3", "n0", "n1", "n2"]


@pytest.mark.parametrize("app_settings", [LIMITED])
def test_rest_sends_answer_429_with_retry_after_and_share_the_socket_bucket(client, alice, bob, clock,
                                                                             socket_client_for):
    group_id = make_group(alice, "Team", [bob]).id
    headers = bearer(alice)
    url = f"/api/conversations/{group_id}/messages"
    socket = socket_client_for("alice")
    assert socket.emit("message:send", {"conversation_id": group_id, "body": "by socket"}, callback=True)["ok"]
    assert [client.post(url, json={"body": f"r{n}"}, headers=headers).status_code for n in range(2)] == [201, 201]
    response = client.post(url, json={"body": "one too many"}, headers=headers)
    assert error_of(response) == (429, "rate_limited") and response.headers["Retry-After"] == "1"
    assert response.get_json()["error"]["retry_after"] == 1
    assert stored() == ["by socket", "r0", "r1"]
    assert client.post(f"/api/conversations/{group_id}/messages", json={"body": "bob's"},
                       headers=bearer(bob)).status_code == 201  # one user's rate, not the conversation's


@pytest.mark.parametrize("app_settings", [{"SEND_BURST": 1000, "SEND_PER_MINUTE": 60}])
def test_the_limit_adds_no_query_to_a_send(app, alice, bob, socket_client_for, clock):
    group_id = make_group(alice, "Team", [bob]).id
    socket = socket_client_for("alice")
    events(socket)

    def counted(client_id):
        with statements() as seen:
            assert socket.emit("message:send", {"conversation_id": group_id, "body": "hi", "client_id": client_id},
                               callback=True)["ok"]
        return len(seen)

    counted("warm-up")
    limited = counted("a")
    app.config["SEND_PER_MINUTE"] = 0
    assert counted("b") == limited


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_the_bucket_lets_a_burst_through_then_one_per_interval(request, store):
    now = {"now": 5000.0}
    if store == "redis":
        counters = RedisCounters(request.getfixturevalue("redis_server").url, clock=lambda: now["now"])
        counters._redis.flushdb()
    else:
        counters = MemoryCounters(clock=lambda: now["now"])
    # one every 2 s, four at once (6 s of tolerance)
    assert [counters.take("k", 2, 6) for _ in range(4)] == [0, 0, 0, 0]
    assert counters.take("k", 2, 6) == pytest.approx(2)
    assert counters.take("other", 2, 6) == 0
    now["now"] += 1.5
    assert counters.take("k", 2, 6) == pytest.approx(0.5)
    now["now"] += 0.5
    assert counters.take("k", 2, 6) == 0
    assert counters.take("k", 2, 6) == pytest.approx(2)
    now["now"] += 60
    assert [counters.take("k", 2, 6) for _ in range(5)][-2:] == [0, pytest.approx(2)]


def test_redis_away_lets_sends_through(app, alice, bob, socket_client_for, monkeypatch):
    app.config.update(LIMITED)

    class Away:
        def take(self, *args):
            raise ConnectionError("redis is down")

    app.extensions["rate_limits"] = Away()
    group_id = make_group(alice, "Team", [bob]).id
    socket = socket_client_for("alice")
    acks = [socket.emit("message:send", {"conversation_id": group_id, "body": f"m{n}"}, callback=True)
            for n in range(5)]
    assert all(ack["ok"] for ack in acks)
    assert actions.rate_limits.counters() is app.extensions["rate_limits"]


@pytest.mark.parametrize("app_settings", [{"SEND_BURST": 1, "SEND_PER_MINUTE": 1}])
def test_a_refused_socket_send_sends_no_statement_and_a_stored_retry_is_still_acked(alice, bob, socket_client_for,
                                                                                     clock):
    group_id = make_group(alice, "Team", [bob]).id
    socket = socket_client_for("alice")

    def send(body, client_id=None):
        with statements() as seen:
            ack = socket.emit("message:send", {"conversation_id": group_id, "body": body, "client_id": client_id},
                              callback=True)
        return ack, seen

    first, seen = send("first", "c1")
    assert first["ok"] and seen  # an accepted send does its queries, so the spy sees them
    refused, seen = send("second")
    assert refused["error"]["code"] == "rate_limited" and seen == []
    refused, seen = send("third", 12)  # an invalid client_id cannot be a stored message's: no lookup either
    assert refused["error"]["code"] == "rate_limited" and seen == []
    refused, seen = send("fourth", "c-new")  # a client_id: the one lookup, then refused
    assert refused["error"]["code"] == "rate_limited"
    assert len(seen) == 2 and "FROM messages" in seen[0] and seen[1] == "COMMIT", seen
    retried, seen = send("first", "c1")  # the bucket is still empty: a stored message is acked all the same
    assert retried["ok"] and retried["duplicate"] and retried["message"]["body"] == "first"
    # The same message, not a second one: a plain send's retry is found by its insert, which the unique
    # (sender, client_id) refuses (ON CONFLICT DO NOTHING), before any number is taken
    # (actions.messages.send_message).
    assert retried["message"]["id"] == first["message"]["id"]
    assert any(statement.startswith("INSERT INTO messages") for statement in seen), seen
    assert not any(statement.startswith("UPDATE conversations") for statement in seen), seen
    assert stored() == ["first"]


@pytest.mark.parametrize("app_settings", [{"SEND_BURST": 1, "SEND_PER_MINUTE": 1}])
def test_a_refused_rest_send_reads_only_who_is_calling(client, alice, bob, clock):
    group_id = make_group(alice, "Team", [bob]).id
    headers, url = bearer(alice), f"/api/conversations/{group_id}/messages"
    assert client.post(url, json={"body": "first", "client_id": "r1"}, headers=headers).status_code == 201
    with statements() as caller_only:
        assert client.get("/api/me", headers=headers).status_code == 200
    with statements() as seen:
        refused = client.post(url, json={"body": "second"}, headers=headers)
    assert error_of(refused) == (429, "rate_limited")
    assert not any("memberships" in statement or "messages" in statement for statement in seen), seen
    assert len(seen) <= len(caller_only)
    retried = client.post(url, json={"body": "first", "client_id": "r1"}, headers=headers)
    assert retried.status_code == 200 and retried.get_json()["duplicate"] is True
    assert stored() == ["first"]


@pytest.mark.parametrize("app_settings", [LIMITED])
def test_edits_and_deletions_take_from_the_send_rate(client, alice, bob, socket_client_for, clock):
    # Each is told to every member, as a message is: edited as fast as acks come, it would flood them.
    group_id = make_group(alice, "Team", [bob]).id
    socket = socket_client_for("alice")
    sent = socket.emit("message:send", {"conversation_id": group_id, "body": "one"}, callback=True)["message"]
    assert socket.emit("message:edit", {"message_id": sent["id"], "body": "two"}, callback=True)["ok"]
    edited = client.patch(f"/api/messages/{sent['id']}", json={"body": "three"}, headers=bearer(alice))
    assert edited.status_code == 200
    refused = socket.emit("message:delete", {"message_id": sent["id"]}, callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "rate_limited"
    over_rest = client.patch(f"/api/messages/{sent['id']}", json={"body": "four"}, headers=bearer(alice))
    assert error_of(over_rest) == (429, "rate_limited")
    db.session.expire_all()
    kept = db.session.get(Message, sent["id"])
    assert (kept.body, kept.deleted_at) == ("three", None)
    clock["now"] += 1  # one more a second
    assert socket.emit("message:delete", {"message_id": sent["id"]}, callback=True)["ok"]
