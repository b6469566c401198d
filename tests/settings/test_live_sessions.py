"""Login sessions end to end: gunicorn + gevent (production settings), browsers as requests
sessions logging in through the real form, cookies copied as a thief would, python-socketio
clients on the browsers' cookies. Ending a session cuts exactly its sockets, at once."""
from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.integration.chat import create_group
from tests.servers import PASSWORD, Browser, ChatUser, LiveServer, csrf_in, cut, own_server, round_trip

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own: its database is aged by the timeout tests (the clock they control)."""
    yield from own_server(tmp_path_factory, "sessions-live", jobs=False,
                          env={"SESSION_IDLE_DAYS": "14", "SESSION_MAX_DAYS": "90"})


@pytest.fixture
def browsers():
    opened: list[Browser] = []

    def open_browser(server: LiveServer, username: str, password: str = PASSWORD) -> Browser:
        browser = Browser(server, username, password)
        opened.append(browser)
        return browser

    yield open_browser
    for browser in opened:
        browser.close()


@pytest.fixture(scope="module")
def operator(server) -> Browser:
    username = f"op{uuid.uuid4().hex[:8]}"
    server.create_operator(username, "operator password 1")
    return Browser(server, username, "operator password 1")


def age_session(server: LiveServer, session_id: str, **changes: timedelta) -> None:
    """Move a session's times into the past in the server's database: the clock goes forward for it."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with sqlite3.connect(server.workdir / "switchboard.db") as database:
        for column, ago in changes.items():
            database.execute(f"UPDATE login_sessions SET {column} = ? WHERE id = ?",
                             ((now - ago).isoformat(sep=" "), session_id))


def test_logout_ends_the_session_for_copied_cookies_and_its_sockets(server, browsers):
    user = ChatUser.register(server.url)
    group_id = create_group(user)
    laptop, phone = browsers(server, user.username), browsers(server, user.username)
    with_session_cookie, with_remember_cookie = laptop.copy("session"), laptop.copy("remember_token")
    assert (with_session_cookie.me(), with_remember_cookie.me()) == (200, 200)
    laptop_socket, phone_socket = laptop.socket(), phone.socket()

    response = laptop.post_form("/settings", "/logout")
    assert response.status_code == 302
    assert cut(laptop_socket)
    assert (laptop.me(), with_session_cookie.me(), with_remember_cookie.me()) == (401, 401, 401)
    round_trip(phone_socket, group_id)  # the user's other browser goes on
    assert phone.me() == 200


def test_revoking_one_session_cuts_exactly_its_socket(server, browsers):
    user = ChatUser.register(server.url)
    group_id = create_group(user)
    laptop, phone = browsers(server, user.username), browsers(server, user.username)
    laptop_socket, phone_socket = laptop.socket(), phone.socket()
    remembered = phone.copy("remember_token")  # a phone restarted: only its remember cookie
    remembered_socket = remembered.socket()

    response = laptop.api("DELETE", f"/sessions/{phone.session_id()}")
    assert response.status_code == 200, response.text
    assert cut(phone_socket) and cut(remembered_socket)  # the remembered browser was in its session's room
    round_trip(laptop_socket, group_id)  # observed after the cut: the other session's socket still works
    assert laptop_socket.connected
    assert (phone.me(), remembered.me(), laptop.me()) == (401, 401, 200)


def test_a_password_change_ends_every_other_session_token_and_socket(server, browsers):
    user = ChatUser.register(server.url)
    group_id = create_group(user)
    mine, other = browsers(server, user.username), browsers(server, user.username)
    other_remember = other.copy("remember_token")
    my_socket, other_socket, token_socket = mine.socket(), other.socket(), user.socket()

    response = mine.post_form("/password", "/password", current_password=PASSWORD,
                              new_password="a brand new secret", confirm="a brand new secret")
    assert response.status_code == 302, response.text[:300]
    assert cut(other_socket) and cut(token_socket.client)
    round_trip(my_socket, group_id)
    assert (mine.me(), other.me(), other_remember.me()) == (200, 401, 401)
    assert user.api("GET", "/me").status_code == 401  # the bearer token from registration
    assert mine.copy("remember_token").me() == 200  # this browser's (new) remember cookie works


def test_an_operator_reset_ends_everything_and_the_old_cookies_stay_dead(server, browsers, operator):
    user = ChatUser.register(server.url)
    thief = browsers(server, user.username)
    stolen = thief.copy()
    thief_socket = thief.socket()
    response = operator.post_form(f"/admin/user/manage/?id={user.id}", f"/admin/user/manage/{user.id}/password",
                                  temporary_password="temporary secret 1")
    assert response.status_code == 302
    assert cut(thief_socket)
    owner = browsers(server, user.username, "temporary secret 1")
    owner.post_form("/password", "/password", current_password="temporary secret 1",
                    new_password="the owner's own secret", confirm="the owner's own secret")
    assert (owner.me(), thief.me(), stolen.me(), user.api("GET", "/me").status_code) == (200, 401, 401, 401)


def test_ban_then_unban_does_not_revive_old_cookies(server, browsers, operator):
    user = ChatUser.register(server.url)
    browser = browsers(server, user.username)
    copied = browser.copy()
    page = f"/admin/user/manage/?id={user.id}"
    assert operator.post_form(page, f"/admin/user/manage/{user.id}/deactivate").status_code == 302
    assert operator.post_form(page, f"/admin/user/manage/{user.id}/reactivate").status_code == 302
    assert (browser.me(), copied.me(), user.api("GET", "/me").status_code) == (401, 401, 401)
    assert browsers(server, user.username).me() == 200  # logging in again works


def test_an_operator_ends_a_session_from_the_users_panel(server, browsers, operator):
    user = ChatUser.register(server.url)
    group_id = create_group(user)
    laptop, phone = browsers(server, user.username), browsers(server, user.username)
    laptop_socket, phone_socket = laptop.socket(), phone.socket()
    page = f"/admin/user/manage/?id={user.id}"
    assert phone.session_id() in operator.http.get(server.url + page, timeout=10).text
    assert operator.post_form(page, f"/admin/user/manage/{user.id}/sessions/{phone.session_id()}/end"
                              ).status_code == 302
    assert cut(phone_socket)
    round_trip(laptop_socket, group_id)
    assert (phone.me(), laptop.me()) == (401, 200)


def test_an_idle_session_and_a_too_old_one_stop_working(server, browsers):
    user = ChatUser.register(server.url)
    group_id = create_group(user)
    idle, old, fresh = (browsers(server, user.username) for _ in range(3))
    old_socket = old.socket()
    idle_id, old_id = idle.session_id(), old.session_id()
    age_session(server, idle_id, last_seen_at=timedelta(days=13, hours=23))
    assert idle.me() == 200  # used within SESSION_IDLE_DAYS: it goes on (and counts as used now)
    age_session(server, idle_id, last_seen_at=timedelta(days=14, minutes=1))
    assert (idle.me(), idle.copy("remember_token").me()) == (401, 401)
    age_session(server, old_id, created_at=timedelta(days=90, minutes=1), last_seen_at=timedelta(0))
    assert old.me() == 401  # used a moment ago, but SESSION_MAX_DAYS after its login
    ack = old_socket.call("message:send", {"conversation_id": group_id, "body": "late", "client_id": "late-1"})
    assert ack == {"ok": False, "error": {"code": "unauthorized", "message": "Log in again."}}
    assert cut(old_socket)
    assert fresh.me() == 200


def test_the_remember_cookie_is_per_session_lax_httponly_and_lives_until_the_absolute_timeout(server):
    user = ChatUser.register(server.url)
    http = requests.Session()
    page = http.get(server.url + "/login", timeout=10)
    response = http.post(server.url + "/login", allow_redirects=False, timeout=10, data={
        "username": user.username, "password": PASSWORD, "csrf_token": csrf_in(page.text)})
    (header,) = [value for value in response.raw.headers.getlist("Set-Cookie") if value.startswith("remember_token=")]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
    assert attributes["samesite"] == "SameSite=Lax" and "httponly" in attributes
    assert abs(int(attributes["max-age"].split("=")[1]) - 90 * 86400) < 60
    assert "secure" not in attributes  # this server is plain HTTP on purpose (ALLOW_INSECURE_HTTP=1)
    value = header.split(";")[0].split("=", 1)[1]
    assert not value.startswith(f"{user.id}|")  # not Flask-Login's user_id|HMAC: a token of this session
    again = Browser(server, user.username)
    assert again.http.cookies["remember_token"] != value
