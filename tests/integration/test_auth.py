"""Authentication of sockets and the API against the live server, and revoked tokens."""
from __future__ import annotations

import pytest
import requests
import socketio

from tests.servers import PASSWORD, Browser, ChatUser, RecordingSocket, wait_for

pytestmark = pytest.mark.integration


def connection_refused(server_url: str, **connect_arguments) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(server_url, transports=["websocket"], wait_timeout=10, **connect_arguments)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


@pytest.mark.parametrize("auth", [None, {}, {"token": ""}, {"token": "sbt_not-a-real-token"}, {"token": 42},
                                  "sbt_not-a-dict"])
def test_a_socket_without_valid_credentials_is_refused(live_server, auth):
    arguments = {} if auth is None else {"auth": auth}
    assert connection_refused(live_server.url, **arguments)


def test_a_valid_token_connects(live_server, register):
    user = register()
    assert not connection_refused(live_server.url, auth={"token": user.token})


def test_a_revoked_token_no_longer_connects_or_calls_the_api(live_server, register):
    user = register()
    issued = requests.post(f"{live_server.url}/api/tokens", json={"username": user.username, "password": PASSWORD,
                                                                  "name": "laptop"}, timeout=10)
    assert issued.status_code == 201, issued.text
    laptop = ChatUser(live_server.url, user.username, issued.json()["token"], user.id)
    assert laptop.api("GET", "/me").json()["user"]["id"] == user.id
    RecordingSocket.connect(live_server.url, laptop.token, ()).disconnect()

    revoked = laptop.api("DELETE", "/tokens/current")
    assert revoked.status_code == 200 and revoked.json() == {"ok": True, "revoked": True}

    after = laptop.api("GET", "/me")
    assert after.status_code == 401 and after.json()["error"]["code"] == "invalid_token"
    sending = laptop.api("POST", "/groups", json={"name": "not with this token"})
    assert sending.status_code == 401
    assert connection_refused(live_server.url, auth={"token": laptop.token})
    # The user's other token is untouched.
    assert user.api("GET", "/me").status_code == 200
    assert not connection_refused(live_server.url, auth={"token": user.token})
    assert user.api("GET", "/conversations").json()["conversations"] == []


def test_the_api_refuses_requests_without_credentials(live_server):
    for method, path in (("GET", "/me"), ("GET", "/conversations"), ("POST", "/groups")):
        response = requests.request(method, f"{live_server.url}/api{path}", timeout=10)
        assert response.status_code == 401 and response.json()["ok"] is False, path
    wrong = requests.get(f"{live_server.url}/api/me", headers={"Authorization": "Bearer sbt_nope"}, timeout=10)
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_token"


def test_a_refused_socket_learns_why(live_server):
    client = socketio.Client(reconnection=False)
    reasons = []
    client.on("connect_error", reasons.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live_server.url, auth={"token": "sbt_not-a-real-token"}, transports=["websocket"],
                       wait_timeout=10)
    assert reasons == [{"message": "Log in or send a valid token.",
                        "data": {"code": "unauthorized", "message": "Log in or send a valid token."}}]


def test_revoking_a_token_cuts_the_sockets_opened_with_it(live_server, register):
    user = register()
    second = requests.post(f"{live_server.url}/api/tokens", json={"username": user.username, "password": PASSWORD},
                           timeout=10).json()["token"]
    revoked_socket = RecordingSocket.connect(live_server.url, user.token, ("message:new",))
    other_socket = RecordingSocket.connect(live_server.url, second, ("message:new",))
    try:
        assert user.api("DELETE", "/tokens/current").json()["revoked"] is True
        wait_for(lambda: not revoked_socket.client.connected, what="the revoked token's socket to be cut")
        # The call's answer comes after any cut the revocation sent this socket: connected is checked after it.
        assert other_socket.call("conversations:list", {})["ok"]
        assert other_socket.client.connected
    finally:
        revoked_socket.disconnect()
        other_socket.disconnect()


def test_logging_out_of_one_browser_cuts_that_browsers_sockets_only(live_server, register):
    user = register()
    laptop, phone = Browser(live_server, user.username), Browser(live_server, user.username)
    program = RecordingSocket.connect(live_server.url, user.token, ())
    try:
        laptop_tabs = [laptop.socket(), laptop.socket()]
        phone_tab = phone.socket()
        assert all(tab.call("conversations:list", {}, timeout=10)["ok"] for tab in [*laptop_tabs, phone_tab])

        logout = laptop.post_form("/settings", "/logout")
        assert logout.status_code == 302 and logout.headers["Location"].startswith("/login"), logout.text

        wait_for(lambda: not any(tab.connected for tab in laptop_tabs), what="the laptop's sockets to be cut")
        # Each call's answer comes after any cut the logout sent that socket: connected is checked after them.
        assert phone_tab.call("conversations:list", {}, timeout=10)["ok"]
        assert program.call("conversations:list", {})["ok"]
        assert phone_tab.connected and program.client.connected
        assert phone.me() == 200
        assert laptop.me() == 401
    finally:
        program.disconnect()
        laptop.close()
        phone.close()


@pytest.mark.parametrize("cookie", [b"1|\xc3\xa9", b"rs_x|\xff", "rs_é|é".encode()])
def test_a_remember_cookie_that_is_not_ascii_logs_nobody_in(live_server, register, cookie):
    """Flask-Login checks the cookie's signature with hmac.compare_digest, which raised TypeError on a
    non-ASCII one: every page and API call of that browser answered 500."""
    alice = register()
    headers = {b"Cookie": b"remember_token=" + cookie}
    anonymous = requests.get(f"{live_server.url}/api/me", headers=headers, timeout=10)
    assert (anonymous.status_code, anonymous.json()["error"]["code"]) == (401, "unauthorized")
    assert requests.get(f"{live_server.url}/login", headers=headers, timeout=10).status_code == 200
    token = {b"Authorization": f"Bearer {alice.token}".encode()}
    me = requests.get(f"{live_server.url}/api/me", headers={**headers, **token}, timeout=10)
    assert me.json()["user"]["id"] == alice.id
