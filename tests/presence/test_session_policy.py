"""SESSION_POLICY=single through real browsers and gateway clients: a new login (a page's or a gateway
connection's) ends the user's other login sessions, whose sockets hear `session:ended`
("signed_in_elsewhere") and are cut, and closes their other gateway connections (push `closed`); the
new one goes on, and personal tokens used by programs keep working."""
from __future__ import annotations

import threading

import pytest

from tests.gateway.client import MESSAGE, PUSH, SEND, GatewayClient
from tests.integration.chat import create_group
from tests.servers import Browser, ChatUser, round_trip, wait_for

pytestmark = pytest.mark.integration


def logged_in_page(server) -> tuple[ChatUser, int, Browser, list, threading.Event]:
    """A new user with a group, logged in on a page whose socket records `session:ended` notices
    and sets the event once it is cut: (user, group id, browser, notices, cut)."""
    user = ChatUser.register(server.url)
    group_id = create_group(user)
    laptop = Browser(server, user.username)
    notices, cut = [], threading.Event()
    page_socket = laptop.socket()
    page_socket.on("session:ended", notices.append)
    page_socket.on("disconnect", lambda *reason: cut.set())
    return user, group_id, laptop, notices, cut


def test_a_new_login_signs_the_older_browser_out_with_its_notice(presence_server):
    user, group_id, laptop, notices, cut = logged_in_page(presence_server)
    token_socket = user.socket()  # a personal token is not a login session: it stays
    phone = Browser(presence_server, user.username)  # the second login
    try:
        wait_for(cut.is_set, timeout=10, what="the older browser's socket cut")
        assert notices == [{"reason": "signed_in_elsewhere"}]
        assert laptop.me() == 401  # its cookies sign nobody in any more
        assert phone.me() == 200
        round_trip(phone.socket(), group_id)
        round_trip(token_socket.client, group_id)  # still served after the cut, not only not cut yet
        sessions = phone.api("GET", "/sessions").json()["sessions"]
        assert [one["current"] for one in sessions] == [True]
    finally:
        laptop.close()
        phone.close()
        token_socket.disconnect()


def closed_notice(gateway: GatewayClient) -> dict:
    return gateway.wait(lambda command, body: command == PUSH and body.get("type") == "closed",
                        what="the closed push")[1]


def test_a_page_login_closes_the_users_gateway_connections(presence_server):
    """One live device: a new page login closes the gateway connection with its notice (push `closed`
    `signed_in_elsewhere`, then 1008); the personal token it used is no login and keeps working over
    REST and Socket.IO, and logging in with it again is allowed."""
    user = ChatUser.register(presence_server.url)
    group_id = create_group(user)
    gateway = GatewayClient(presence_server.url)
    token_socket = user.socket()
    browser = None
    try:
        assert gateway.login(user.token, user.id)["success"] is True
        browser = Browser(presence_server, user.username)
        assert closed_notice(gateway)["errorCode"] == "signed_in_elsewhere"
        assert gateway.wait_closed().code == 1008
        assert user.api("GET", "/me").status_code == 200
        round_trip(token_socket.client, group_id)  # answered after any cut the login sent it: the marker
        assert token_socket.client.connected
        assert browser.me() == 200
        again = GatewayClient(presence_server.url)  # the app logs in again: now the page is signed out
        try:
            assert again.login(user.token, user.id)["success"] is True
            wait_for(lambda: browser.me() == 401, what="the page signed out")
        finally:
            again.close()
    finally:
        gateway.close()
        token_socket.disconnect()
        if browser is not None:
            browser.close()


def test_a_gateway_login_signs_the_page_out_and_closes_the_other_gateway_connection(presence_server):
    """The other way round: a gateway login ends the page's login session (its socket hears
    `session:ended` "signed_in_elsewhere" and is cut) and closes the user's older gateway connection;
    the new connection goes on, and so does a program's token socket."""
    user, group_id, laptop, notices, cut_now = logged_in_page(presence_server)
    token_socket = user.socket()
    older, newer = GatewayClient(presence_server.url), GatewayClient(presence_server.url)
    try:
        assert older.login(user.token, user.id)["success"] is True
        assert newer.login(user.token, user.id)["success"] is True
        wait_for(cut_now.is_set, timeout=10, what="the page's socket cut")
        assert notices == [{"reason": "signed_in_elsewhere"}]
        assert laptop.me() == 401
        assert closed_notice(older)["errorCode"] == "signed_in_elsewhere"
        assert older.wait_closed().code == 1008
        newer.send(SEND, {"chatId": str(group_id), "contentType": 0, "content": "still here", "hasBeenSentId": "n1"})
        assert newer.response(MESSAGE, hasBeenSentId="n1")["success"] is True
        assert newer.closed is None
        assert not [body for command, body in newer.received if command == PUSH and body.get("type") == "closed"]
        round_trip(token_socket.client, group_id)
    finally:
        older.close()
        newer.close()
        laptop.close()
        token_socket.disconnect()
