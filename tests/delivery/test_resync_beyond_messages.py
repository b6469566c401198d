"""A client that was away reconnects and learns, exactly once and in order, what changed meanwhile that
is not a plain new message, as docs/protocol.md ("Resync", "What is not a message") tells it to:
`sync` from each watermark, quotes followed to their original, the conversation list, the members,
contacts and privacy read again. Real python-socketio clients, a real server, on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import uuid

import pytest
import requests
import socketio

from tests.integration.chat import create_group, history, open_direct, post
from tests.servers import PASSWORD, ChatUser, LiveServer

pytestmark = pytest.mark.integration


@pytest.fixture(params=("sqlite", "postgres"))
def server(request) -> LiveServer:
    return request.getfixturevalue("live_server" if request.param == "sqlite" else "postgres_instance")


@pytest.fixture
def operator(server) -> ChatUser:
    username = f"op{uuid.uuid4().hex[:8]}"
    server.create_operator(username, PASSWORD)
    answer = requests.post(server.url + "/api/tokens", json={"username": username, "password": PASSWORD}, timeout=10)
    return ChatUser(server.url, username, answer.json()["token"], answer.json()["user"]["id"])


def ok(response: requests.Response) -> dict:
    assert response.status_code < 300, (response.status_code, response.text)
    return response.json()


def quote_of(original: dict) -> dict:
    """A reply's quote of `original`, as docs/protocol.md's Objects describe it."""
    removed = original["removed"]
    excerpt = "" if removed else original["body"][:120]
    return {"id": original["id"], "seq": original["seq"], "kind": original["kind"], "removed": removed,
            "sender": None if removed else original["sender"], "excerpt": excerpt}


class Device:
    """One device of a user, keeping what the protocol tells a client to keep: per conversation its
    messages and watermark, the conversation list, contacts and privacy."""

    def __init__(self, user: ChatUser):
        self.user = user
        self.socket: socketio.Client | None = None
        self.messages: dict[int, dict[int, dict]] = {}
        self.watermark: dict[int, int] = {}
        self.conversations: dict[int, dict] = {}
        self.changes_seen: list[tuple[int, int]] = []
        self.lock = threading.Lock()  # live events are applied in python-socketio's threads

    def connect(self) -> None:
        self.socket = socketio.Client(reconnection=False)
        self.socket.on("message:new", lambda payload: self.apply(payload["message"]))
        self.socket.on("message:updated", lambda payload: self.apply(payload["message"]))
        self.socket.connect(self.user.server_url, auth={"token": self.user.token}, transports=["websocket"],
                            wait_timeout=10)

    def disconnect(self) -> None:
        self.socket.disconnect()

    def call(self, event: str, payload: dict) -> dict:
        answer = self.socket.call(event, payload, timeout=10)
        assert answer["ok"], answer
        return answer

    def apply(self, message: dict) -> None:
        with self.lock:
            self._apply(message)

    def _apply(self, message: dict) -> None:
        held = self.messages.setdefault(message["conversation_id"], {})
        known = held.get(message["id"])
        if known is None or known["revision"] < message["revision"]:
            held[message["id"]] = message
        for reply in held.values():  # the quotes follow their original
            if reply["reply_to"] and reply["reply_to"]["id"] == message["id"] and not reply["removed"]:
                reply["reply_to"] = quote_of(held[message["id"]])

    def start(self) -> None:
        """As when starting: the list, each conversation from its newest end (small ones: all of it)."""
        self.conversations = {c["id"]: c for c in self.call("conversations:list", {})["conversations"]}
        for conversation_id, conversation in self.conversations.items():
            self.watermark[conversation_id] = conversation["last_revision"]
            for message in history(self.user, conversation_id):
                self.apply(message)

    def resync(self, limit: int = 100) -> None:
        """After a reconnect: `sync` from each watermark, page after page (at most 500 cursors a request),
        then the list: conversations gone are dropped, new ones loaded."""
        cursors = sorted(self.watermark.items())
        while cursors:
            answer = self.call("sync", {"conversations": [{"conversation_id": conversation_id, "since": since}
                                                          for conversation_id, since in cursors[:500]],
                                        "limit": limit})
            cursors = cursors[500:]
            for result in answer["conversations"]:
                conversation_id = result["conversation_id"]
                if "error" in result:
                    self.messages.pop(conversation_id, None)
                    self.watermark.pop(conversation_id)
                    continue
                for message in result["messages"]:
                    self.changes_seen.append((conversation_id, message["revision"]))
                    self.apply(message)
                self.watermark[conversation_id] = max(self.watermark[conversation_id], result["revision"])
                if result["has_more"]:
                    cursors.append((conversation_id, self.watermark[conversation_id]))
        listed = {c["id"]: c for c in self.call("conversations:list", {})["conversations"]}
        for conversation_id in set(self.watermark) - set(listed):
            self.watermark.pop(conversation_id)
            self.messages.pop(conversation_id, None)
        for conversation_id in set(listed) - set(self.watermark):
            self.watermark[conversation_id] = listed[conversation_id]["last_revision"]
            for message in history(self.user, conversation_id):
                self.apply(message)
        self.conversations = listed
        for conversation_id, conversation in listed.items():
            assert conversation["last_revision"] == self.watermark[conversation_id], "a gap left open"

    def held(self, conversation_id: int) -> list[dict]:
        return sorted(self.messages.get(conversation_id, {}).values(), key=lambda message: message["seq"])


def test_message_changes_made_while_away_arrive_once_each_with_the_quotes_that_follow_them(server, operator):
    alice, bob, carol = (ChatUser.register(server.url) for _ in range(3))
    group = create_group(alice, (bob, carol))
    first, second = post(alice, group, "first"), post(alice, group, f"hello @{carol.username}")
    hidden, tagged = post(bob, group, "to be hidden"), post(bob, group, "edited later")
    reply_to_removed = ok(bob.api("POST", f"/conversations/{group}/messages",
                                  json={"body": "answering first", "reply_to": first["id"]}))["message"]
    reply_to_edited = ok(alice.api("POST", f"/conversations/{group}/messages",
                                   json={"body": "answering tagged", "reply_to": tagged["id"]}))["message"]
    phone, web = Device(carol), Device(carol)
    web.connect()
    web.start()
    web.disconnect()
    phone.connect()  # carol's other device stays online meanwhile
    phone.start()

    ok(alice.api("PATCH", f"/messages/{first['id']}", json={"body": "first, edited"}))
    ok(alice.api("DELETE", f"/messages/{first['id']}"))
    ok(operator.api("POST", f"/admin/messages/{hidden['id']}/hide"))
    ok(bob.api("PATCH", f"/messages/{tagged['id']}", json={"body": "tagged, rewritten " + "x" * 150}))
    ok(alice.api("PATCH", f"/messages/{second['id']}", json={"body": "hello, nobody named"}))
    ok(bob.api("POST", f"/messages/{second['id']}/reactions", json={"emoji": "👍"}))
    ok(alice.api("POST", f"/messages/{second['id']}/reactions", json={"emoji": "🎉"}))
    ok(bob.api("DELETE", f"/messages/{second['id']}/reactions", params={"emoji": "👍"}))
    last = post(alice, group, "after all that")
    phone.call("conversation:read", {"conversation_id": group, "seq": first["seq"]})

    web.connect()
    web.resync()
    truth = history(carol, group)
    assert web.held(group) == truth
    assert phone.held(group)[-1]["id"] == last["id"]
    quotes = {message["id"]: message["reply_to"] for message in truth}
    assert quotes[reply_to_removed["id"]] == {"id": first["id"], "seq": first["seq"], "kind": "text",
                                              "removed": True, "sender": None, "excerpt": ""}
    assert quotes[reply_to_edited["id"]]["excerpt"] == "tagged, rewritten " + "x" * 102
    # each change once, in revision order (a message changed several times: its last revision only)
    assert web.changes_seen == sorted(set(web.changes_seen))
    listed = web.conversations[group]
    assert listed["membership"]["last_read_seq"] == first["seq"]  # read on the phone
    assert (listed["unread_count"], listed["unread_mentions"]) == (5, 0)  # no hidden one, no mention edited out


def test_membership_contacts_and_privacy_changed_while_away_are_read_again(server, operator):
    alice, bob, carol = (ChatUser.register(server.url) for _ in range(3))
    dave = ChatUser.register(server.url)
    removed_from, renamed, archived, unarchived, muted = (create_group(alice, (carol,)) for _ in range(5))
    added_to = create_group(alice, (bob,))
    handed_over = create_group(bob, (carol,))
    for conversation_id in (removed_from, added_to):
        post(alice, conversation_id, "before carol came")
    ok(operator.api("POST", f"/admin/groups/{unarchived}/archive"))
    direct = open_direct(carol, bob)
    carol_web = Device(carol)
    carol_web.connect()
    carol_web.start()
    carol_web.disconnect()

    ok(alice.api("DELETE", f"/groups/{removed_from}/members/{carol.id}"))
    ok(alice.api("POST", f"/groups/{added_to}/members", json={"user_id": carol.id}))
    ok(alice.api("PATCH", f"/groups/{renamed}", json={"name": "Renamed meanwhile"}))
    ok(operator.api("POST", f"/admin/groups/{archived}/archive"))
    ok(operator.api("POST", f"/admin/groups/{unarchived}/unarchive"))
    ok(bob.api("POST", f"/groups/{handed_over}/leave"))  # carol is the owner now
    ok(carol.api("PUT", f"/conversations/{muted}/mute"))  # from her phone
    ok(dave.api("POST", "/contacts/requests", json={"username": carol.username}))
    ok(carol.api("POST", "/blocks", json={"user_id": bob.id}))  # from her phone
    ok(carol.api("PUT", "/me/privacy", json={"last_seen": "nobody"}))

    carol_web.connect()
    carol_web.resync()
    listed = carol_web.conversations
    assert removed_from not in listed and removed_from not in carol_web.messages
    assert [message["body"] for message in carol_web.held(added_to)][:1] == ["before carol came"]
    assert carol_web.held(added_to) == history(carol, added_to)
    assert listed[renamed]["name"] == "Renamed meanwhile"
    assert carol_web.held(renamed)[-1]["system"]["event"] == "group_renamed"
    assert (listed[archived]["archived"], listed[unarchived]["archived"]) == (True, False)
    assert listed[handed_over]["membership"]["role"] == "owner"
    assert listed[muted]["membership"]["muted"] is True
    assert direct in listed
    contacts = carol_web.call("contacts:list", {})
    assert [request["requester"]["id"] for request in contacts["incoming"]] == [dave.id]
    assert [block["user"]["id"] for block in contacts["blocks"]] == [bob.id]
    assert carol_web.call("privacy:get", {})["privacy"]["last_seen"] == "nobody"
    carol_web.disconnect()


def test_paging_many_conversations_loses_and_repeats_nothing(server):
    alice, carol = ChatUser.register(server.url), ChatUser.register(server.url)
    groups = [create_group(alice, (carol,)) for _ in range(12)]
    carol_web = Device(carol)
    carol_web.connect()
    carol_web.start()
    carol_web.disconnect()
    sent = {conversation_id: [post(alice, conversation_id, f"m{n}") for n in range(4)] for conversation_id in groups}
    for conversation_id in groups[::3]:
        ok(alice.api("PATCH", f"/messages/{sent[conversation_id][0]['id']}", json={"body": "edited"}))
        ok(alice.api("DELETE", f"/messages/{sent[conversation_id][3]['id']}"))

    carol_web.connect()
    carol_web.resync(limit=2)  # more changes than a page holds, in every conversation
    assert len(carol_web.changes_seen) == len(set(carol_web.changes_seen)) == 4 * 12
    for conversation_id in groups:
        assert carol_web.held(conversation_id) == history(carol, conversation_id)
    carol_web.disconnect()


def test_an_account_suspended_while_away_is_refused_and_told_why_at_login(server, operator):
    carol = ChatUser.register(server.url)
    carol_web = Device(carol)
    carol_web.connect()
    carol_web.disconnect()
    ok(operator.api("POST", f"/admin/users/{carol.id}/suspend", json={"until": "2099-01-01T00:00:00Z",
                                                                    "reason": "spam"}))
    refusals = []
    client = socketio.Client(reconnection=False)
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth={"token": carol.token}, transports=["websocket"], wait_timeout=10)
    assert refusals[0]["data"]["code"] == "unauthorized"
    login = requests.post(server.url + "/api/tokens", json={"username": carol.username, "password": PASSWORD},
                          timeout=10)
    assert login.status_code == 401 and login.json()["error"]["code"] == "account_suspended"
    assert login.json()["error"]["reason"] == "spam"


def test_the_lists_unread_counts_are_those_of_the_conversations_as_listed_while_messages_come(server):
    """The list is read in two statements (the conversations, then their counts). On PostgreSQL each saw
    its own moment, so a message committed between them was counted but not listed (`last_seq`,
    `last_revision` before it): about one list in twenty under a steady send, and a client counting
    what arrives after `last_revision` counted it twice."""
    alice, carol = ChatUser.register(server.url), ChatUser.register(server.url)
    groups = [create_group(alice, (carol,)) for _ in range(3)]
    sender, reader = Device(alice), Device(carol)
    sender.connect()
    reader.connect()
    sending = threading.Thread(target=lambda: [
        sender.call("message:send", {"conversation_id": groups[n % 3], "body": f"{n} @{carol.username}"})
        for n in range(150)])
    sending.start()
    lists, out_of_step = 0, []
    while sending.is_alive():
        lists += 1
        for listed in reader.call("conversations:list", {})["conversations"]:
            unread = listed["last_seq"] - listed["membership"]["last_read_seq"]  # none is carol's, none removed
            if (listed["unread_count"], listed["unread_mentions"]) != (unread, unread):
                out_of_step.append((listed["last_seq"], listed["unread_count"], listed["unread_mentions"]))
    sending.join()
    assert lists >= 10 and out_of_step == []
    sender.disconnect()
    reader.disconnect()
