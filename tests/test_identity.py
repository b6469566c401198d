"""blueprints/identity.py: who is asking, for pages, the API and sockets, and the room of each
credential (a login session, an API token) that ending it cuts."""
from __future__ import annotations

from datetime import timedelta

import pytest

from actions.accounts import issue_api_token
from actions.sessions import note_token_used
from blueprints.identity import LOGIN_SESSION_KEY, Principal
from events.facts import SessionEnded
from extensions import db, socketio
from models import ApiToken, Message
from models.time import utcnow
from tests.clients import IsolatedSocketClient
from tests.event_capture import capture
from tests.factories import PASSWORD, make_group


def login_session_of(client) -> str | None:
    with client.session_transaction() as session:
        return session.get(LOGIN_SESSION_KEY)


def rooms_of(socket) -> set[str]:
    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(socket.eio_sid, "/")
    return set(manager.get_rooms(sid, "/")) - {sid}


def test_each_login_starts_a_new_login_session(app, alice, auth, client):
    auth.login()
    first = login_session_of(client)
    auth.logout()
    assert login_session_of(client) is None
    auth.login()
    assert first and login_session_of(client) and login_session_of(client) != first


def test_logout_ends_the_browsers_login_session(app, alice, auth, client):
    auth.login()
    session_id = login_session_of(client)
    captured = capture(app)
    response = auth.logout()
    assert response.status_code == 302
    assert captured == [SessionEnded(alice.id, session_id)]


def test_a_remembered_browser_resumes_its_own_login_session(app, alice, auth, client):
    # The session cookie is gone (the browser restarted); the remember cookie brings back the same session.
    auth.login()
    session_id = login_session_of(client)
    with client.session_transaction() as session:
        session.clear()
    assert client.get("/").status_code == 200
    assert login_session_of(client) == session_id


def test_a_cookie_without_a_login_session_logs_nobody_in(app, alice, auth, client):
    # A cookie from before login sessions had ids: the user id alone is not enough.
    auth.login()
    client.delete_cookie("remember_token")
    with client.session_transaction() as session:
        del session[LOGIN_SESSION_KEY]
    assert client.get("/api/me").status_code == 401


def test_a_cookie_socket_joins_its_login_sessions_room(app, alice):
    http = app.test_client()
    http.post("/login", data={"username": "alice", "password": PASSWORD})
    socket = IsolatedSocketClient(app, socketio, flask_test_client=http)
    assert rooms_of(socket) == {f"user:{alice.id}", f"session:{login_session_of(http)}"}
    socket.disconnect()


def test_a_token_socket_joins_its_tokens_room(app, alice):
    issued = issue_api_token(alice)
    socket = IsolatedSocketClient(app, socketio, auth={"token": issued.token})
    assert rooms_of(socket) == {f"user:{alice.id}", f"token:{issued.record.id}"}
    socket.disconnect()


def test_a_revoked_tokens_socket_is_refused_at_its_next_event(app, alice):
    # Even before the room command that cuts it arrives: each event resolves the principal again.
    group = make_group(alice, "Team")
    issued = issue_api_token(alice)
    socket = IsolatedSocketClient(app, socketio, auth={"token": issued.token})
    issued.record.revoked_at = utcnow()
    db.session.commit()
    ack = socket.emit("message:send", {"conversation_id": group.id, "body": "still here?"}, callback=True)
    assert ack == {"ok": False, "error": {"code": "unauthorized", "message": "Log in again."}}
    assert socket.is_connected() is False
    assert db.session.execute(db.select(Message)).all() == []


def _revoke(issued, alice) -> None:
    issued.record.revoked_at = utcnow()


def _expire(issued, alice) -> None:
    issued.record.expires_at = utcnow() - timedelta(seconds=1)


def _deactivate(issued, alice) -> None:
    alice.active = False


@pytest.mark.parametrize("change", [_revoke, _expire, _deactivate])
def test_a_token_socket_whose_token_stops_working_is_refused_at_its_next_event(app, alice, change):
    # A token socket's events read the token's values and its user, not the token as an ORM object
    # (issue 15): the same rule refuses the next event, whichever part of it stopped holding.
    group = make_group(alice, "Team")
    issued = issue_api_token(alice)
    socket = IsolatedSocketClient(app, socketio, auth={"token": issued.token})
    sent = socket.emit("message:send", {"conversation_id": group.id, "body": "before"}, callback=True)
    assert sent["ok"] is True  # the token works until the change
    change(issued, alice)
    db.session.commit()
    ack = socket.emit("message:send", {"conversation_id": group.id, "body": "still here?"}, callback=True)
    assert ack == {"ok": False, "error": {"code": "unauthorized", "message": "Log in again."}}
    assert socket.is_connected() is False
    assert [message.body for message in db.session.execute(db.select(Message)).scalars()] == ["before"]


def test_a_token_sockets_event_notes_the_tokens_use_once_a_minute_has_passed(app, alice):
    group = make_group(alice, "Team")
    issued = issue_api_token(alice)
    socket = IsolatedSocketClient(app, socketio, auth={"token": issued.token})
    an_hour_ago = utcnow() - timedelta(hours=1)
    issued.record.last_used_at = an_hour_ago
    db.session.commit()
    assert socket.emit("message:send", {"conversation_id": group.id, "body": "hi"}, callback=True)["ok"] is True
    db.session.expire_all()
    noted = db.session.get(ApiToken, issued.record.id).last_used_at
    assert noted > an_hour_ago + timedelta(minutes=59)
    # Within the minute, the next event writes nothing more.
    assert socket.emit("message:send", {"conversation_id": group.id, "body": "again"}, callback=True)["ok"] is True
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.record.id).last_used_at == noted
    socket.disconnect()


@pytest.mark.parametrize(("method", "credential", "room"), [
    ("session", "abc", "session:abc"), ("token", 7, "token:7"), ("session", None, None)])
def test_the_room_of_a_credential(alice, method, credential, room):
    assert Principal(alice, method, credential).room == room


def test_the_api_knows_a_cookie_caller_and_a_token_caller(app, alice, auth, client):
    auth.login()
    assert client.get("/api/me").json["user"]["id"] == alice.id
    token = issue_api_token(alice).token
    other = app.test_client()
    assert other.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json["user"]["id"] == alice.id


def test_a_token_gone_since_its_events_read_is_not_noted_and_faults_nothing(app, alice):
    # live_token_by_id reads the token's values, then (once a minute) notes the use: a token deleted in
    # between (its account deleted: ON DELETE CASCADE) is nothing to note, not a fault.
    issued = issue_api_token(alice)
    token_id = issued.record.id
    db.session.execute(db.delete(ApiToken).where(ApiToken.id == token_id))
    db.session.commit()
    note_token_used(token_id, utcnow() - timedelta(hours=1))
    db.session.commit()  # nothing to flush
    assert db.session.get(ApiToken, token_id) is None
