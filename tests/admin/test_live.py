"""The back office against a real server (gunicorn + gevent) and real Socket.IO clients:
what an operator does in /admin reaches open chat pages at once."""
from __future__ import annotations

import re
import uuid

import pytest
import requests
import socketio

from tests.integration.chat import create_group
from tests.servers import CHAT_EVENTS, ChatUser, LiveServer, RecordingSocket, own_server, wait_for

pytestmark = pytest.mark.integration

OPERATOR_PASSWORD = "operator password 1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of our own: broadcasts to everyone must not reach other tests' sockets."""
    yield from own_server(tmp_path_factory, "admin-live")


class OperatorBrowser:
    """An operator in a browser: a requests session logged in through the login form."""

    def __init__(self, server: LiveServer):
        self.url = server.url
        self.session = requests.Session()
        username = f"op{uuid.uuid4().hex[:8]}"
        server.create_operator(username, OPERATOR_PASSWORD)
        login = self.session.get(self.url + "/login", timeout=10)
        response = self.session.post(self.url + "/login", timeout=10, allow_redirects=False, data={
            "username": username, "password": OPERATOR_PASSWORD, "csrf_token": self.token_in(login.text)})
        assert response.status_code == 302, response.text

    @staticmethod
    def token_in(page: str) -> str:
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post_form(self, page: str, action: str, **form) -> requests.Response:
        """Open a back-office page, then submit one of its forms with the page's CSRF token."""
        opened = self.session.get(self.url + page, timeout=10)
        assert opened.status_code == 200, opened.status_code
        response = self.session.post(self.url + action, data={**form, "csrf_token": self.token_in(opened.text)},
                                     timeout=30, allow_redirects=False)
        assert response.status_code == 302, response.text[:500]
        return response


@pytest.fixture(scope="module")
def operator(server):
    return OperatorBrowser(server)


def test_a_hidden_message_is_retracted_from_members_pages(server, operator, connect):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,))
    alice_socket, bob_socket = connect(alice), connect(bob)
    sent = bob_socket.call("message:send", {"conversation_id": group_id, "body": "offensive", "client_id": "m1"})
    assert sent["ok"]
    message_id = sent["message"]["id"]

    operator.post_form(f"/admin/message/context/?id={message_id}", f"/admin/message/moderate/{message_id}/hide")

    def retracted(socket: RecordingSocket) -> bool:
        return any(payload["message"]["id"] == message_id and payload["message"]["removed_by"] == "moderator"
                   for payload in socket.received["message:updated"])

    for socket in (alice_socket, bob_socket):
        wait_for(lambda socket=socket: retracted(socket), what="message:updated removed_by moderator")
    [update] = [p["message"] for p in alice_socket.received["message:updated"] if p["message"]["id"] == message_id]
    assert update["body"] == "" and update["removed"] is True
    history = alice.api("GET", f"/conversations/{group_id}/messages").json()["messages"]
    assert [(m["id"], m["removed_by"], m["body"]) for m in history] == [(message_id, "moderator", "")]


def test_a_deactivated_users_socket_is_cut_at_once_and_cannot_come_back(server, operator, connect):
    mallory = ChatUser.register(server.url)
    socket = connect(mallory)
    assert socket.client.connected

    operator.post_form(f"/admin/user/manage/?id={mallory.id}", f"/admin/user/manage/{mallory.id}/deactivate")

    wait_for(lambda: not socket.client.connected, what="the server to cut mallory's socket")
    with pytest.raises(socketio.exceptions.ConnectionError):
        RecordingSocket.connect(server.url, mallory.token, CHAT_EVENTS)
    assert mallory.api("GET", "/me").status_code == 401
    login = requests.post(server.url + "/api/tokens", json={"username": mallory.username,
                                                            "password": "correct horse battery"}, timeout=10)
    assert (login.status_code, login.json()["error"]["code"]) == (401, "account_deactivated")


def test_a_broadcast_reaches_online_users_and_waits_in_offline_users_history(server, operator, connect):
    online, offline = ChatUser.register(server.url), ChatUser.register(server.url)
    socket = connect(online)
    body = f"Maintenance {uuid.uuid4().hex[:6]}"

    operator.post_form("/admin/broadcast/", "/admin/broadcast/", audience="everyone", body=body)

    wait_for(lambda: any(p["message"]["body"] == body for p in socket.received["message:new"]),
             what="the broadcast on the online user's socket")
    [new] = [p["message"] for p in socket.received["message:new"] if p["message"]["body"] == body]
    assert new["kind"] == "system" and new["sender"] is None
    assert any(p["conversation"]["id"] == new["conversation_id"] for p in socket.received["conversation:added"])

    conversations = offline.api("GET", "/conversations").json()["conversations"]
    [notices] = [c for c in conversations if c["title"] == "Switchboard"]
    assert (notices["last_message"]["body"], notices["unread_count"]) == (body, 1)
    history = offline.api("GET", f"/conversations/{notices['id']}/messages").json()["messages"]
    assert [m["body"] for m in history] == [body]


# Return addresses (`?url=`, where Flask-Admin goes after a form or a refusal) that lead off the site: a
# browser reads "http:evil.example" as relative, but the Location header carries it as "http:///evil.example",
# which every browser follows to evil.example; the others are the usual ways around a same-site check.
OFF_SITE = ("http:evil.example", "https:evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)",
            "https://evil.example/", " /x", "/x\n")


def test_a_return_address_off_this_site_is_refused_and_changes_nothing(server, operator):
    group_id = create_group(ChatUser.register(server.url), ())
    edit = f"/admin/group/edit/?id={group_id}"
    rename = {"csrf_token": operator.token_in(operator.session.get(server.url + edit, timeout=10).text),
              "name": "Renamed", "description": ""}
    for address in OFF_SITE:
        url = requests.utils.quote(address, safe="")
        # A link that redirects at once (Flask-Admin's exports are off, details off for invitations), and a
        # form sent back to its page: both answer 400 before any redirect, the group keeps its name.
        for page in (f"/admin/user/export/csv/?url={url}", f"/admin/invite/details/?id=1&url={url}",
                     f"{edit}&url={url}"):
            assert_refused(operator.session.get(server.url + page, timeout=10, allow_redirects=False), address)
        assert_refused(operator.session.post(f"{server.url}{edit}&url={url}", timeout=10, allow_redirects=False,
                                             data=rename), address)
    assert 'value="Renamed"' not in operator.session.get(server.url + edit, timeout=10).text
    # The addresses Flask-Admin makes itself (paths on this site) still lead back.
    response = operator.session.post(f"{server.url}{edit}&url=%2Fadmin%2Fgroup%2F%3Fpage_size%3D20", timeout=10,
                                     allow_redirects=False, data=rename)
    assert (response.status_code, response.headers["Location"]) == (302, "/admin/group/?page_size=20")
    assert 'value="Renamed"' in operator.session.get(server.url + edit, timeout=10).text


def assert_refused(response: requests.Response, address: str) -> None:
    assert response.status_code == 400, (response.request.url, address, response.headers.get("Location"))
    assert response.json()["error"]["code"] == "invalid_url"
