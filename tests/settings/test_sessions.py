"""actions/sessions.py and blueprints/identity.py: login sessions through the real login form,
cookies copied between test clients as a thief would, the REST routes of /api/sessions and
/api/tokens, and their refusals. End to end on gunicorn: test_live_sessions.py."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask_login import encode_cookie

from actions.accounts import issue_api_token
from actions.passwords import change_password
from actions.sessions import SEEN_EVERY, device_summary
from actions.user_admin import deactivate_user, reactivate_user, reset_password
from blueprints.identity import LOGIN_SESSION_KEY
from events.facts import SessionEnded, TokenRevoked, UserSessionsRevoked
from events.unit_of_work import HeldEvents
from extensions import db, socketio
from models import ApiToken, Message
from models.login_session import LoginSession
from models.time import utcnow
from tests.clients import IsolatedSocketClient
from tests.event_capture import capture
from tests.factories import PASSWORD, make_group
from tests.helpers import database_rows
from tests.query_count import statements

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
COOKIES = ("session", "remember_token")


def browser(app, username: str = "alice", password: str = PASSWORD, user_agent: str = FIREFOX):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password},
                           headers={"User-Agent": user_agent})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def session_id_of(client) -> str | None:
    with client.session_transaction() as session:
        return session.get(LOGIN_SESSION_KEY)


def copy_of(app, client, names=COOKIES):
    """Another client holding copies of `client`'s cookies, as a thief would."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, name
        thief.set_cookie(name, cookie.value)
    return thief


def me_status(client) -> int:
    return client.get("/api/me").status_code


def row(session_id: str) -> LoginSession:
    db.session.expire_all()
    return db.session.get(LoginSession, session_id)


def age(session_id: str, **delta) -> None:
    """Move a session into the past, as if the clock had gone forward."""
    login_session = row(session_id)
    login_session.created_at -= timedelta(**delta)
    login_session.last_seen_at -= timedelta(**delta)
    db.session.commit()


# logging in


def test_a_login_is_a_session_row_with_device_address_and_method(app, alice):
    client = browser(app)
    login_session = row(session_id_of(client))
    assert (login_session.user_id, login_session.method, login_session.device, login_session.ip_address,
            login_session.user_agent, login_session.ended_at) == (alice.id, "password", "Firefox on Linux",
                                                                  "127.0.0.1", FIREFOX, None)
    token = client.get_cookie("remember_token").value.rsplit("|", 1)[0]  # signed by Flask-Login's encode_cookie
    assert token.startswith("rs_") and login_session.remember_hash == hashlib.sha256(token.encode()).hexdigest()
    listed = client.get("/api/sessions").json["sessions"]
    assert [(one["id"], one["device"], one["method"], one["current"]) for one in listed] == [
        (login_session.id, "Firefox on Linux", "password", True)]


def test_each_login_gets_its_own_remember_token(app, alice):
    first, second = browser(app), browser(app)
    assert first.get_cookie("remember_token").value != second.get_cookie("remember_token").value
    assert session_id_of(first) != session_id_of(second)


def test_the_remember_cookie_resumes_its_own_session_after_a_restart(app, alice):
    client = browser(app)
    session_id = session_id_of(client)
    restarted = copy_of(app, client, names=("remember_token",))  # the session cookie died with the browser
    assert me_status(restarted) == 200
    assert session_id_of(restarted) == session_id
    socket = IsolatedSocketClient(app, socketio, flask_test_client=restarted)
    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(socket.eio_sid, "/")
    assert f"session:{session_id}" in set(manager.get_rooms(sid, "/"))
    socket.disconnect()


def test_resuming_from_the_remember_cookie_rotates_it_and_the_old_copy_stops_working(app, alice):
    client = browser(app)
    session_id, first_cookie = session_id_of(client), client.get_cookie("remember_token").value
    stolen = copy_of(app, client, names=("remember_token",))  # copied before the restart
    restarted = copy_of(app, client, names=("remember_token",))  # the session cookie died with the browser
    assert me_status(restarted) == 200
    second_cookie = restarted.get_cookie("remember_token").value
    assert second_cookie != first_cookie and session_id_of(restarted) == session_id
    token = second_cookie.rsplit("|", 1)[0]
    assert row(session_id).remember_hash == hashlib.sha256(token.encode()).hexdigest()
    assert me_status(stolen) == 401  # the copy taken before is refused
    assert me_status(restarted) == 200  # the browser goes on with its session cookie: no new rotation
    assert restarted.get_cookie("remember_token").value == second_cookie
    again = copy_of(app, restarted, names=("remember_token",))  # a second restart: the new cookie works, once
    assert me_status(again) == 200 and again.get_cookie("remember_token").value not in (first_cookie, second_cookie)
    assert me_status(copy_of(app, restarted, names=("remember_token",))) == 401
    assert me_status(client) == 200  # the first browser's session cookie: the same session, still live


def test_a_rotation_that_fails_keeps_the_cookie_and_the_login(app, alice, monkeypatch):
    import blueprints.identity

    def busy(*args):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(blueprints.identity, "rotate_remember_token", busy)
    client = browser(app)
    remembered = copy_of(app, client, names=("remember_token",))
    assert me_status(remembered) == 200
    assert remembered.get_cookie("remember_token").value == client.get_cookie("remember_token").value


def test_a_socket_resumed_from_the_remember_cookie_keeps_it(app, alice):
    client = browser(app)
    remembered = copy_of(app, client, names=("remember_token",))
    socket = IsolatedSocketClient(app, socketio, flask_test_client=remembered)  # no answer to carry a new cookie
    assert socket.is_connected()
    socket.disconnect()
    assert me_status(copy_of(app, client, names=("remember_token",))) == 200  # so the cookie still works


def test_a_forged_or_legacy_remember_cookie_logs_nobody_in(app, alice):
    client = app.test_client()
    client.set_cookie("remember_token", f"{alice.id}|" + "0" * 128)  # Flask-Login's old user_id|HMAC shape
    assert me_status(client) == 401
    client.set_cookie("remember_token", "rs_made-up|" + "0" * 128)
    assert me_status(client) == 401
    client.set_cookie("remember_token", encode_cookie("rs_made-up"))  # signed, but no session has it
    assert me_status(client) == 401


# ending sessions


def test_logout_ends_the_session_for_every_copy_of_its_cookies(app, alice):
    client = browser(app)
    session_id = session_id_of(client)
    thief, remembered = copy_of(app, client), copy_of(app, client, names=("remember_token",))
    assert (me_status(thief), me_status(remembered)) == (200, 200)
    captured = capture(app)
    client.post("/logout")
    assert captured == [SessionEnded(alice.id, session_id)]
    assert (me_status(thief), me_status(remembered)) == (401, 401)
    assert row(session_id).ended_reason == "logout" and row(session_id).remember_hash is None


def test_a_password_change_ends_every_other_session_and_token_but_keeps_this_one(app, alice):
    mine, other = browser(app), browser(app)
    stolen_remember = copy_of(app, mine, names=("remember_token",))
    token = issue_api_token(alice)
    db.session.commit()
    captured = capture(app)
    response = mine.post("/password", data={"current_password": PASSWORD, "new_password": "a brand new secret",
                                            "confirm": "a brand new secret"})
    assert response.status_code == 302
    assert set(captured) == {SessionEnded(alice.id, session_id_of(other)), TokenRevoked(alice.id, token.record.id)}
    assert me_status(mine) == 200  # this browser goes on, with a new remember token
    assert (me_status(other), me_status(stolen_remember)) == (401, 401)
    assert me_status(copy_of(app, mine, names=("remember_token",))) == 200
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token.token}"}).status_code == 401


def test_an_operator_reset_ends_every_session_for_good(app, operator, alice):
    client = browser(app)
    thief = copy_of(app, client)
    captured = capture(app)
    reset_password(operator, alice.id, "temporary secret")
    assert SessionEnded(alice.id, session_id_of(client)) in captured
    assert UserSessionsRevoked(alice.id, "password_reset") in captured
    owner = browser(app, password="temporary secret")
    change_password(alice, "temporary secret", "the owner's new secret", keep_session_id=session_id_of(owner))
    db.session.commit()
    assert (me_status(client), me_status(thief), me_status(owner)) == (401, 401, 200)


def test_ban_then_unban_does_not_revive_old_cookies(app, operator, alice):
    client = browser(app)
    thief = copy_of(app, client)
    deactivate_user(operator, alice.id)
    reactivate_user(operator, alice.id)
    db.session.commit()
    assert (me_status(client), me_status(thief)) == (401, 401)
    assert row(session_id_of(client)).ended_reason == "deactivated"
    assert me_status(browser(app)) == 200  # logging in again works


# timeouts


@pytest.mark.parametrize("app_settings", [{"SESSION_IDLE_DAYS": 2, "SESSION_MAX_DAYS": 10}])
def test_an_idle_session_stops_working(app, alice):
    client = browser(app)
    age(session_id_of(client), days=1, hours=23)
    assert me_status(client) == 200  # used within two days: goes on, and counts as used now
    age(session_id_of(client), days=2, minutes=1)
    assert me_status(client) == 401
    assert me_status(copy_of(app, client, names=("remember_token",))) == 401


@pytest.mark.parametrize("app_settings", [{"SESSION_IDLE_DAYS": 2, "SESSION_MAX_DAYS": 10}])
def test_a_session_older_than_the_absolute_timeout_stops_working_however_busy(app, alice):
    client = browser(app)
    session_id = session_id_of(client)
    login_session = row(session_id)
    login_session.created_at -= timedelta(days=9, hours=23)
    db.session.commit()
    assert me_status(client) == 200
    login_session = row(session_id)
    login_session.created_at -= timedelta(hours=1, minutes=1)
    login_session.last_seen_at = utcnow()
    db.session.commit()
    assert me_status(client) == 401


def test_last_seen_is_written_at_most_once_a_minute(app, alice):
    client = browser(app)
    session_id = session_id_of(client)
    with statements() as seen:
        assert me_status(client) == 200
    assert not [statement for statement in seen if statement.startswith("UPDATE login_sessions")]
    login_session = row(session_id)
    login_session.last_seen_at -= SEEN_EVERY
    db.session.commit()
    before = row(session_id).last_seen_at
    with statements() as seen:
        assert me_status(client) == 200
    assert len([statement for statement in seen if statement.startswith("UPDATE login_sessions")]) == 1
    assert row(session_id).last_seen_at > before


@pytest.mark.parametrize("cookies", [("session",), ("remember_token",)], ids=["session cookie", "remember cookie"])
def test_a_refused_request_still_notes_the_sessions_use(app, alice, cookies):
    """The use is noted even when the request is refused (events.unit_of_work.note_in_any_case), whichever
    cookie the session was found by: else a browser whose requests are all refused would write it at each."""
    client = browser(app)
    session_id = session_id_of(client)
    login_session = row(session_id)
    login_session.last_seen_at -= SEEN_EVERY
    db.session.commit()
    before = row(session_id).last_seen_at
    assert copy_of(app, client, names=cookies).get("/api/conversations/999999").status_code == 404
    assert row(session_id).last_seen_at > before


# sockets


def test_a_socket_of_an_ended_session_is_refused_at_its_next_event(app, alice):
    group = make_group(alice, "Team")
    db.session.commit()
    client = browser(app)
    socket = IsolatedSocketClient(app, socketio, flask_test_client=browser(app))
    assert socket.emit("message:send", {"conversation_id": group.id, "body": "hello"}, callback=True)["ok"]
    # Ended behind its back (no room command reaches this test socket first): the event itself refuses.
    with socket.flask_test_client.session_transaction() as session:
        other_session = session[LOGIN_SESSION_KEY]
    row(other_session).ended_at = utcnow()
    db.session.commit()
    ack = socket.emit("message:send", {"conversation_id": group.id, "body": "still here?"}, callback=True)
    assert ack == {"ok": False, "error": {"code": "unauthorized", "message": "Log in again."}}
    assert not socket.is_connected()
    assert [m.body for m in db.session.execute(db.select(Message)).scalars()] == ["hello"]
    assert me_status(client) == 200  # the user's other session goes on


def _idle(session_id: str, alice) -> None:
    age(session_id, days=2, minutes=1)


def _past_the_absolute_timeout(session_id: str, alice) -> None:
    login_session = row(session_id)
    login_session.created_at -= timedelta(days=10, minutes=1)
    login_session.last_seen_at = utcnow()


def _deactivated(session_id: str, alice) -> None:
    alice.active = False


@pytest.mark.parametrize("app_settings", [{"SESSION_IDLE_DAYS": 2, "SESSION_MAX_DAYS": 10}])
@pytest.mark.parametrize("change", [_idle, _past_the_absolute_timeout, _deactivated])
def test_a_socket_whose_session_stops_working_is_refused_at_its_next_event(app, alice, change):
    # A page's socket events read the session's times and its user as values, not the session as an ORM
    # object (issue 15): the page's rule (test_an_idle_session_stops_working and the next) refuses them.
    group = make_group(alice, "Team")
    db.session.commit()
    socket = IsolatedSocketClient(app, socketio, flask_test_client=browser(app))
    assert socket.emit("message:send", {"conversation_id": group.id, "body": "before"}, callback=True)["ok"]
    change(session_id_of(socket.flask_test_client), alice)
    db.session.commit()
    ack = socket.emit("message:send", {"conversation_id": group.id, "body": "still here?"}, callback=True)
    assert ack == {"ok": False, "error": {"code": "unauthorized", "message": "Log in again."}}
    assert not socket.is_connected()
    assert [m.body for m in db.session.execute(db.select(Message)).scalars()] == ["before"]


def _ended(session_id: str, alice) -> None:
    row(session_id).ended_at = utcnow()


@pytest.mark.parametrize("app_settings", [{"SESSION_IDLE_DAYS": 2, "SESSION_MAX_DAYS": 10}])
@pytest.mark.parametrize("change", [_idle, _past_the_absolute_timeout, _deactivated, _ended])
def test_a_page_socket_whose_session_stopped_working_does_not_connect(app, alice, change):
    """A page's socket reads its login session at connect outside Flask-Login and any unit
    (actions.sessions.live_session_holder): by the page's rules, with its remember cookie refused too."""
    client = browser(app)
    assert IsolatedSocketClient(app, socketio, flask_test_client=client).is_connected()
    change(session_id_of(client), alice)
    db.session.commit()
    assert IsolatedSocketClient(app, socketio, flask_test_client=client).is_connected() is False
    assert IsolatedSocketClient(app, socketio, flask_test_client=copy_of(app, client, names=("session",))
                                ).is_connected() is False


def test_a_page_socket_connects_by_the_remember_cookie_alone_or_with_someone_elses_id(app, alice, bob):
    """Where the session cookie does not name a working session of the user it names (a restarted browser
    keeps only the remember cookie; a cookie naming another user's id), the connect asks Flask-Login as a
    page does, which resumes the session from the remember cookie."""
    group = make_group(alice, "Team")
    db.session.commit()
    client = browser(app)
    restarted = copy_of(app, client, names=("remember_token",))
    socket = IsolatedSocketClient(app, socketio, flask_test_client=restarted)
    assert socket.is_connected()
    assert socket.emit("message:send", {"conversation_id": group.id, "body": "back"}, callback=True)["ok"]
    with client.session_transaction() as session:
        session["_user_id"] = str(bob.id)
    socket = IsolatedSocketClient(app, socketio, flask_test_client=client)
    assert socket.is_connected()  # alice's, resumed by her remember cookie: her group takes her message
    assert socket.emit("message:send", {"conversation_id": group.id, "body": "hers"}, callback=True)["ok"]
    with client.session_transaction() as session:
        session["_user_id"] = str(bob.id)
    client.delete_cookie("remember_token")
    assert IsolatedSocketClient(app, socketio, flask_test_client=client).is_connected() is False


def test_a_sockets_event_notes_the_sessions_use_once_a_minute_has_passed(app, alice):
    group = make_group(alice, "Team")
    db.session.commit()
    socket = IsolatedSocketClient(app, socketio, flask_test_client=browser(app))
    session_id = session_id_of(socket.flask_test_client)
    an_hour_ago = utcnow() - timedelta(hours=1)
    row(session_id).last_seen_at = an_hour_ago
    db.session.commit()
    assert socket.emit("message:send", {"conversation_id": group.id, "body": "hi"}, callback=True)["ok"]
    noted = row(session_id).last_seen_at
    assert noted > an_hour_ago + timedelta(minutes=59)
    with statements() as seen:  # within the minute, the next event writes nothing more
        assert socket.emit("message:send", {"conversation_id": group.id, "body": "again"}, callback=True)["ok"]
    assert not [statement for statement in seen if statement.startswith("UPDATE login_sessions")]
    assert row(session_id).last_seen_at == noted
    socket.disconnect()


# the REST routes


def test_ending_one_session_over_the_api(app, alice):
    mine, other = browser(app), browser(app, user_agent="python-requests/2.32.3")
    listed = {one["device"]: one for one in mine.get("/api/sessions").json["sessions"]}
    assert set(listed) == {"Firefox on Linux", "python-requests"}
    assert listed["python-requests"]["current"] is False
    captured = capture(app)
    response = mine.delete(f"/api/sessions/{session_id_of(other)}")
    assert response.json == {"ok": True, "session_id": session_id_of(other)}
    assert captured == [SessionEnded(alice.id, session_id_of(other))]
    assert (me_status(mine), me_status(other)) == (200, 401)


def test_ending_every_other_session_over_the_api(app, alice):
    mine, others = browser(app), [browser(app), browser(app)]
    assert mine.delete("/api/sessions?others=1").json == {"ok": True, "ended": 2}
    assert [me_status(client) for client in (mine, *others)] == [200, 401, 401]


def test_a_bearer_token_ends_every_session(app, alice):
    client = browser(app)
    token = issue_api_token(alice).token
    db.session.commit()
    response = app.test_client().delete("/api/sessions?others=1", headers={"Authorization": f"Bearer {token}"})
    assert response.json == {"ok": True, "ended": 1}
    assert me_status(client) == 401


@pytest.mark.parametrize("path", ["/api/sessions/made-up", "/api/sessions/" + "a" * 33, "/api/sessions/%C3%A9t%C3%A9",
                                  "/api/sessions/a%00b"])
def test_ending_a_session_that_is_not_yours_or_not_there_changes_nothing(app, alice, bob, path):
    client = browser(app)
    before = database_rows()
    response = client.delete(path)
    assert (response.status_code, response.json["error"]["code"]) == (404, "session_not_found")
    assert database_rows() == before


def test_ending_another_users_or_an_ended_session_is_not_found(app, alice, bob):
    client, bobs = browser(app), browser(app, "bob")
    ended = browser(app)
    ended.post("/logout")
    before = database_rows()
    for session_id in (session_id_of(bobs), row_ids_of_ended(alice)[0]):
        response = client.delete(f"/api/sessions/{session_id}")
        assert (response.status_code, response.json["error"]["code"]) == (404, "session_not_found")
    assert database_rows() == before
    assert me_status(bobs) == 200


def row_ids_of_ended(user) -> list[str]:
    return list(db.session.execute(db.select(LoginSession.id).where(
        LoginSession.user_id == user.id, LoginSession.ended_at.is_not(None))).scalars())


def test_ending_all_sessions_needs_others_1(app, alice):
    client = browser(app)
    before = database_rows()
    response = client.delete("/api/sessions")
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_others")
    assert database_rows() == before


def test_the_routes_need_a_caller(app):
    for method, path in (("get", "/api/sessions"), ("delete", "/api/sessions?others=1"),
                         ("delete", "/api/sessions/abc"), ("get", "/api/tokens"), ("delete", "/api/tokens/1")):
        assert getattr(app.test_client(), method)(path).status_code == 401, path


def test_tokens_over_the_api_list_and_revoke(app, alice, bob):
    client = browser(app)
    response = app.test_client().post("/api/tokens", json={"username": "alice", "password": PASSWORD,
                                                           "name": "ci", "expires_in_days": 0})
    assert (response.status_code, response.json["expires_at"]) == (201, None)
    token = response.json["token"]
    listed = client.get("/api/tokens").json["tokens"]
    assert [(one["name"], one["expires_at"], one["last_used_at"]) for one in listed] == [("ci", None, None)]
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/api/tokens").json["tokens"][0]["last_used_at"] is not None
    bobs = browser(app, "bob")
    assert bobs.delete(f"/api/tokens/{listed[0]['id']}").status_code == 404
    captured = capture(app)
    assert client.delete(f"/api/tokens/{listed[0]['id']}").json == {"ok": True, "token_id": listed[0]["id"]}
    assert captured == [TokenRevoked(alice.id, listed[0]["id"])]
    assert app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert client.get("/api/tokens").json["tokens"] == []


@pytest.mark.parametrize("days", [None, ""])
def test_a_lifetime_of_null_or_empty_is_the_default_not_never(app, alice, days):
    """docs/protocol.md: without expires_in_days a token lives API_TOKEN_DAYS; an empty value (Input: an empty
    string counts as no value; null likewise) is none given, never the "never expires" that 0 asks for."""
    response = app.test_client().post("/api/tokens", json={"username": "alice", "password": PASSWORD,
                                                           "expires_in_days": days})
    assert response.status_code == 201
    record = db.session.execute(db.select(ApiToken).order_by(ApiToken.id.desc())).scalars().first()
    assert record.expires_at is not None
    lifetime = record.expires_at - record.created_at
    assert abs(lifetime - timedelta(days=app.config["API_TOKEN_DAYS"])) < timedelta(minutes=1)


def test_api_token_days_0_makes_the_tokens_that_choose_none_never_expire(app, alice):
    """docs/configuration.md: API_TOKEN_DAYS 0 is 'never', as expires_in_days 0 (since 94c2c27; before, such
    tokens were born expired)."""
    app.config["API_TOKEN_DAYS"] = 0
    response = app.test_client().post("/api/tokens", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 201 and response.get_json()["expires_at"] is None


@pytest.mark.parametrize("days", [7.0, " 7 ", "7"])
def test_a_lifetime_follows_the_integer_rule(app, alice, days):
    """Input: a float with no fraction and digits with whitespace around them are the integer they write."""
    response = app.test_client().post("/api/tokens", json={"username": "alice", "password": PASSWORD,
                                                           "expires_in_days": days})
    assert response.status_code == 201
    record = db.session.execute(db.select(ApiToken).order_by(ApiToken.id.desc())).scalars().first()
    assert abs(record.expires_at - record.created_at - timedelta(days=7)) < timedelta(minutes=1)


@pytest.mark.parametrize("days", [-1, 3651, "7", 1.5, True, "x"])
def test_a_token_lifetime_is_whole_days(app, alice, days):
    before = database_rows()
    response = app.test_client().post("/api/tokens", json={"username": "alice", "password": PASSWORD,
                                                           "expires_in_days": days})
    if days == "7":  # digits are read as the number they write
        assert response.status_code == 201
        return
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_expires_in_days")
    assert database_rows() == before


def test_a_tokens_last_use_is_written_at_most_once_a_minute(app, alice):
    issued = issue_api_token(alice)
    db.session.commit()
    headers = {"Authorization": f"Bearer {issued.token}"}
    app.test_client().get("/api/me", headers=headers)
    first = db.session.get(ApiToken, issued.record.id).last_used_at
    with statements() as seen:
        app.test_client().get("/api/me", headers=headers)
    assert not [statement for statement in seen if statement.startswith("UPDATE api_tokens")]
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.record.id).last_used_at == first


@pytest.mark.parametrize(("user_agent", "device"), [
    (FIREFOX, "Firefox on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/18.1 Mobile/15E148 Safari/604.1", "Safari on iOS"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile "
     "Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 "
     "Safari/605.1.15", "Safari on macOS"),
    ("python-requests/2.32.3", "python-requests"),
    ("", "Unknown device"),
    (None, "Unknown device"),
    ("<script>", "Unknown device"),
])
def test_device_summary(user_agent, device):
    assert device_summary(user_agent) == device



@pytest.mark.parametrize("app_settings", [{"SESSION_IDLE_DAYS": 2, "SESSION_MAX_DAYS": 10}])
def test_the_sweep_ends_timed_out_sessions_and_cuts_their_silent_sockets(app, alice):
    from actions.sessions import end_timed_out_sessions_job

    idle, old, fresh = browser(app), browser(app), browser(app)
    sockets = {name: IsolatedSocketClient(app, socketio, flask_test_client=client)
               for name, client in (("idle", idle), ("old", old), ("fresh", fresh))}
    age(session_id_of(idle), days=2, minutes=1)
    login_session = row(session_id_of(old))
    login_session.created_at -= timedelta(days=10, minutes=1)
    db.session.commit()
    captured = capture(app)
    held = HeldEvents().start()  # as a transport does: delivered once the job's unit is over
    end_timed_out_sessions_job()  # as the job consumer runs it, every five minutes
    held.stop()
    held.release()
    assert set(captured) == {SessionEnded(alice.id, session_id_of(idle)), SessionEnded(alice.id, session_id_of(old))}
    assert (row(session_id_of(idle)).ended_reason, row(session_id_of(old)).ended_reason) == ("idle", "expired")
    assert {name: socket.is_connected() for name, socket in sockets.items()} == {
        "idle": False, "old": False, "fresh": True}
    captured.clear()
    end_timed_out_sessions_job()  # safe to run twice: nothing more ends
    assert captured == []
    sockets["fresh"].disconnect()
    ended = row(session_id_of(idle))
    ended.ended_at -= timedelta(days=10, minutes=1)  # ended SESSION_MAX_DAYS ago: forgotten
    db.session.commit()
    end_timed_out_sessions_job()
    assert (row(session_id_of(idle)), row(session_id_of(old)).id) == (None, session_id_of(old))
