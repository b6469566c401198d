"""The admin REST API against a real server (gunicorn + gevent), over HTTP with an operator's bearer
token, with real Socket.IO clients: each operation reaches open pages at once and lands in the audit
log; a user's token gets 403 and bad input a JSON error, and neither changes anything."""
from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import requests

from models.time import utcnow
from tests.integration.chat import create_group
from tests.servers import CHAT_EVENTS, PASSWORD, Browser, ChatUser, own_server, wait_for

pytestmark = pytest.mark.integration

EVENTS = (*CHAT_EVENTS, "member:updated")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from own_server(tmp_path_factory, "admin-api-live")


class Operator:
    """An operator's program: a bearer token from POST /api/tokens, and a browser for the audit log."""

    def __init__(self, server):
        self.url = server.url
        self.username = f"op{uuid.uuid4().hex[:8]}"
        self.headers = {"Authorization": f"Bearer {server.operator_token(self.username, PASSWORD)}"}
        self.browser = Browser(server, self.username)

    def call(self, method: str, path: str, body: dict | None = None, status: int = 200) -> dict:
        response = requests.request(method, self.url + "/api/admin" + path, json=body, headers=self.headers,
                                    timeout=10)
        assert response.status_code == status, (path, response.text)
        return response.json()

    def audit_log(self) -> str:
        return self.browser.http.get(self.url + "/admin/audit/?page_size=100", timeout=10).text


@pytest.fixture(scope="module")
def operator(server):
    return Operator(server)


def test_a_suspension_cuts_the_users_page_with_its_reason_and_their_login_is_told(server, operator):
    mallory = ChatUser.register(server.url)
    page = Browser(server, mallory.username)
    notices, cut = [], threading.Event()
    socket = page.socket()
    socket.on("session:ended", notices.append)
    socket.on("disconnect", lambda *reason: cut.set())
    until = (utcnow() + timedelta(days=1)).replace(microsecond=0).isoformat() + "Z"

    answer = operator.call("POST", f"/users/{mallory.id}/suspend", {"until": until, "reason": "Spam in every group"})

    assert (answer["user"]["active"], answer["user"]["suspension_reason"]) == (False, "Spam in every group")
    wait_for(cut.is_set, timeout=10, what="the suspended user's page socket cut")
    assert notices == [{"reason": "suspended", "until": until.replace("Z", ".000Z"), "message": "Spam in every group"}]
    assert page.me() == 401 and mallory.api("GET", "/me").status_code == 401
    login = requests.post(server.url + "/api/tokens", json={"username": mallory.username, "password": PASSWORD},
                          timeout=10)
    assert (login.status_code, login.json()["error"]["code"], login.json()["error"]["reason"]) == (
        401, "account_suspended", "Spam in every group")

    operator.call("POST", f"/users/{mallory.id}/unsuspend")
    login = requests.post(server.url + "/api/tokens", json={"username": mallory.username, "password": PASSWORD},
                          timeout=10)
    assert login.status_code == 201
    log = operator.audit_log()
    assert "user.suspend" in log and "user.unsuspend" in log and mallory.username in log
    page.close()


def test_moderation_and_membership_reach_open_pages(server, operator, connect):
    owner, member, newcomer = (ChatUser.register(server.url) for _ in range(3))
    group_id = create_group(owner, (member,))
    owner_socket, newcomer_socket = connect(owner, EVENTS), connect(newcomer, EVENTS)
    sent = owner_socket.call("message:send", {"conversation_id": group_id, "body": "rude words", "client_id": "r1"})
    message_id = sent["message"]["id"]

    hidden = operator.call("POST", f"/messages/{message_id}/hide")
    assert hidden["message"]["removed_by"] == "moderator"
    wait_for(lambda: any(p["message"]["id"] == message_id and p["message"]["removed"]
                         for p in owner_socket.received["message:updated"]), what="the hidden message on the page")

    operator.call("POST", f"/groups/{group_id}/members", {"user_id": newcomer.id}, status=201)
    wait_for(lambda: any(p["conversation"]["id"] == group_id for p in newcomer_socket.received["conversation:added"]),
             what="the group on the added member's page")
    operator.call("PATCH", f"/groups/{group_id}/members/{newcomer.id}", {"role": "admin"})
    wait_for(lambda: any(p["member"]["id"] == newcomer.id and p["member"]["role"] == "admin"
                         for p in owner_socket.received["member:updated"]), what="the new role on the owner's page")
    operator.call("DELETE", f"/groups/{group_id}/members/{newcomer.id}")
    wait_for(lambda: any(p["conversation_id"] == group_id for p in newcomer_socket.received["conversation:removed"]),
             what="the group leaving the removed member's page")
    archived = operator.call("POST", f"/groups/{group_id}/archive")
    assert archived["conversation"]["archived"] is True
    refused = owner_socket.call("message:send", {"conversation_id": group_id, "body": "still here?", "client_id": "r2"})
    assert refused["error"]["code"] == "conversation_archived"

    log = operator.audit_log()
    for action in ("message.hide", "group.add_member", "group.set_member_role", "group.remove_member",
                   "group.archive"):
        assert action in log, action


def test_the_members_of_an_accounts_groups_see_it_closed_and_opened_again_live(server, operator, connect):
    """Deactivating, suspending and opening an account again tells the members of its groups at once
    (`member:updated`, its Member's `active`), as a role change does: an open page's member list (and whom
    its leave warning names as the next owner) does not wait for a reload."""
    owner, member = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(owner, (member,))
    owner_socket = connect(owner, EVENTS)
    until = (utcnow() + timedelta(days=1)).replace(microsecond=0).isoformat() + "Z"
    seen = 0
    for path, body, active in ((f"/users/{member.id}/deactivate", None, False),
                               (f"/users/{member.id}/reactivate", None, True),
                               (f"/users/{member.id}/suspend", {"until": until, "reason": "Spam"}, False),
                               (f"/users/{member.id}/unsuspend", None, True)):
        operator.call("POST", path, body)
        wait_for(lambda seen=seen: len(owner_socket.received["member:updated"]) > seen,
                 what=f"member:updated after {path}")
        update = owner_socket.received["member:updated"][seen]
        assert (update["conversation_id"], update["member"]["id"], update["member"]["active"]) == (
            group_id, member.id, active)
        assert update["member"]["role"] == "member"
        seen += 1


def test_a_users_token_gets_403_and_bad_input_changes_nothing(server, operator):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    for method, path in (("POST", f"/users/{bob.id}/deactivate"), ("POST", f"/users/{bob.id}/suspend"),
                         ("GET", f"/users/{bob.id}"), ("DELETE", f"/users/{bob.id}/sessions")):
        response = requests.request(method, server.url + "/api/admin" + path, headers=alice.headers, timeout=10,
                                    json={"until": "2099-01-01", "reason": "x"})
        assert (response.status_code, response.json()["error"]["code"]) == (403, "not_an_operator"), path
    for body, code in (({"until": "tomorrow", "reason": "x"}, "invalid_until"),
                       ({"until": "2099-01-01T00:00:00Z", "reason": ""}, "invalid_reason")):
        response = requests.post(f"{server.url}/api/admin/users/{bob.id}/suspend", json=body,
                                 headers=operator.headers, timeout=10)
        assert (response.status_code, response.json()["error"]["code"]) == (400, code)
    response = requests.post(f"{server.url}/api/admin/users/999999/deactivate", headers=operator.headers, timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "user_not_found")
    assert bob.api("GET", "/me").status_code == 200  # still active: nothing was changed
    assert operator.call("GET", f"/users/{bob.id}")["user"]["active"] is True
