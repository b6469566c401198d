"""The gateway on a real gunicorn server, with the test client of docs/gateway.md beside
python-socketio clients: login, groups, messages both ways, operators' actions, the back office."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests

from gateway.delivery import CLOSE_REASONS
from tests.gateway.client import (
    JOIN,
    JOIN_RESPONSE,
    LOGIN,
    LOGIN_RESPONSE,
    MESSAGE,
    PING,
    PONG,
    PUSH,
    QUIT,
    QUIT_RESPONSE,
    SEND,
)
from tests.integration.chat import create_group
from tests.servers import CHAT_EVENTS, ChatUser, wait_for

pytestmark = pytest.mark.integration

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
                    "0000000500010d0a2db40000000049454e44ae426082")


def logged_in(gateway, server, user: ChatUser):
    client = gateway(server.url)
    assert client.login(user.token, user.id)["success"] is True
    return client


def text(chat_id: int | None, content: str, sender: ChatUser, sent_id: str | None = None, **fields) -> dict:
    body = {"contentType": 0, "content": content, "fromUserId": str(sender.id), "chatType": 1,
            "createTime": 1700000000000, **fields}
    if chat_id is not None:
        body["chatId"] = str(chat_id)
    if sent_id is not None:
        body["hasBeenSentId"] = sent_id
    return body


def test_login_needs_a_live_token_of_that_user(server, gateway):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    for body, code in [({"userId": str(alice.id)}, "invalid_token"),
                       ({"userId": str(alice.id), "token": "sbt_" + "x" * 43}, "invalid_token"),
                       ({"userId": str(bob.id), "token": alice.token}, "invalid_userId")]:
        client = gateway(server.url)
        client.send(LOGIN, body)
        answer = client.response(LOGIN_RESPONSE)
        assert (answer["success"], answer["errorCode"]) == (False, code)
        assert client.wait_closed().code == 1008
    assert logged_in(gateway, server, alice).received == [
        (LOGIN_RESPONSE, {"success": True, "errorMsg": "", "userId": str(alice.id), "userName": alice.username})]


def test_requests_before_login_are_refused_and_pings_answered(server, gateway):
    group_id = create_group(ChatUser.register(server.url), (), "public")
    client = gateway(server.url)
    client.send(SEND, {"contentType": 0, "content": "hello", "chatId": str(group_id)})
    assert client.response(MESSAGE)["errorCode"] == "not_logged_in"
    client.send(PING, {})
    assert client.response(PONG) == {"success": True, "errorMsg": ""}
    assert client.closed is None


def test_join_exchange_with_socketio_both_ways_once_each_and_in_order(server, gateway, connect):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(bob, (), "public")
    marker_group = create_group(bob, (alice,), "public")  # followed from her login on: for the marker after the quit
    alice_gateway = logged_in(gateway, server, alice)
    alice_gateway.send(JOIN, {"chatId": str(group_id), "userId": str(alice.id), "chatType": 1})
    assert alice_gateway.response(JOIN_RESPONSE) == {"success": True, "errorMsg": "", "chatId": str(group_id)}
    bob_socket = connect(bob)

    for index in range(10):
        alice_gateway.send(SEND, text(group_id, f"gateway {index}", alice, f"g{index}"))
        assert bob_socket.call("message:send", {"conversation_id": group_id, "body": f"socket {index}"})["ok"]
    wait_for(lambda: len(bob_socket.received["message:new"]) == 20, what="20 messages on the socket")
    wait_for(lambda: len([c for c, _ in alice_gateway.received if c == MESSAGE]) == 20, what="20 on the gateway")

    on_socket = [event["message"] for event in bob_socket.received["message:new"]]
    assert [m["revision"] for m in on_socket] == sorted(m["revision"] for m in on_socket)
    on_gateway = [body for command, body in alice_gateway.received if command == MESSAGE]
    assert sorted(int(m["id"]) for m in on_gateway) == sorted(m["id"] for m in on_socket)  # each once
    answers = [m for m in on_gateway if m["fromUserId"] == str(alice.id)]
    assert [m["hasBeenSentId"] for m in answers] == [f"g{i}" for i in range(10)]
    assert all(m["success"] and m["duplicate"] is False for m in answers)
    from_socket = [m for m in on_gateway if m["fromUserId"] == str(bob.id)]
    assert [m["content"] for m in from_socket] == [f"socket {i}" for i in range(10)]
    assert [m["revision"] for m in from_socket] == sorted(m["revision"] for m in from_socket)
    assert {(m["chatId"], m["chatType"], m["toUserId"], m["fromUserName"]) for m in from_socket} == {
        (str(group_id), 1, str(group_id), bob.username)}
    assert {m["body"] for m in on_socket if m["sender"]["id"] == alice.id} == {f"gateway {i}" for i in range(10)}

    alice_gateway.send(QUIT, {"chatId": str(group_id), "userId": str(alice.id)})
    assert alice_gateway.response(QUIT_RESPONSE)["success"] is True
    alice_gateway.response(PUSH, type="conversationRemoved", conversationId=str(group_id))
    assert bob_socket.call("message:send", {"conversation_id": group_id, "body": "after quit"})["ok"]
    # A later message in a conversation she still follows reaches her after anything sent before it.
    assert bob_socket.call("message:send", {"conversation_id": marker_group, "body": "marker"})["ok"]
    alice_gateway.response(MESSAGE, content="marker")
    assert not any(body.get("content") == "after quit" for _, body in alice_gateway.received)


def test_a_resend_with_the_same_hasBeenSentId_is_stored_once(server, gateway, connect):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,), "public")
    bob_socket = connect(bob)
    client = logged_in(gateway, server, alice)
    client.send(SEND, text(group_id, "once", alice, "same-1"))
    client.send(SEND, text(group_id, "once", alice, "same-1"))
    wait_for(lambda: len([c for c, _ in client.received if c == MESSAGE]) == 2, what="both answers")
    first, second = [body for command, body in client.received if command == MESSAGE]
    assert first["id"] == second["id"] and (first["duplicate"], second["duplicate"]) == (False, True)
    client.send(SEND, text(group_id, "sentinel", alice, "same-2"))
    wait_for(lambda: any(e["message"]["body"] == "sentinel" for e in bob_socket.received["message:new"]),
             what="the sentinel")
    assert [e["message"]["body"] for e in bob_socket.received["message:new"]] == ["once", "sentinel"]


def test_ids_are_read_as_protocol_md_reads_integers(server, gateway):
    """docs/gateway.md: a string id may carry a leading + and spaces around its digits."""
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,), "public")
    client = logged_in(gateway, server, alice)
    client.send(SEND, {**text(None, "signed", alice, "s1"), "chatId": f"+{group_id}"})
    client.send(SEND, {**text(None, "spaced", alice, "s2"), "chatId": f" {group_id} "})
    client.send(SEND, {"contentType": 0, "content": "to bob", "toUserId": f" +{bob.id}", "hasBeenSentId": "s3"})
    assert client.response(MESSAGE, hasBeenSentId="s1")["chatId"] == str(group_id)
    assert client.response(MESSAGE, hasBeenSentId="s2")["chatId"] == str(group_id)
    assert client.response(MESSAGE, hasBeenSentId="s3")["toUserId"] == str(bob.id)


def test_an_id_between_separators_python_strips_is_read_not_a_fault(server, gateway):
    """str.strip() also drops the separators U+001C-U+001F that int() refuses: "12\x1c" passed the
    digits check, then int() raised and the send was answered internal_error (REST alike: a 500)."""
    alice = ChatUser.register(server.url)
    group_id = create_group(alice, (), "public")
    client = logged_in(gateway, server, alice)
    client.send(SEND, {**text(None, "separated", alice, "x1"), "chatId": f"{group_id}\x1c"})
    client.send(SEND, {**text(None, "ideographic", alice, "x2"), "chatId": f"\u3000{group_id}\x1f"})
    assert client.response(MESSAGE, hasBeenSentId="x1")["chatId"] == str(group_id)
    assert client.response(MESSAGE, hasBeenSentId="x2")["chatId"] == str(group_id)
    since = alice.api("GET", f"/conversations/{group_id}/changes", params={"since": "0\x1c"})
    assert since.status_code == 200, since.text


def test_the_documented_codes_of_malformed_fields(server, gateway):
    """docs/gateway.md: a JSON number without a fraction is an id, anything else invalid_<field>; a
    caption breaking the text rules is invalid_body (it is the message's body), a toUserId that is no
    id invalid_toUserId; each refusal echoes its hasBeenSentId."""
    alice = ChatUser.register(server.url)
    group_id = create_group(alice, (), "public")
    upload = alice.api("POST", f"/conversations/{group_id}/files", files={"file": ("dot.png", PNG, "image/png")})
    attachment_id = upload.json()["attachment"]["id"]
    client = logged_in(gateway, server, alice)
    client.send(SEND, {**text(None, "whole", alice, "f1"), "chatId": float(group_id)})
    assert client.response(MESSAGE, hasBeenSentId="f1")["chatId"] == str(group_id)
    refusals = [
        ({**text(None, "half", alice, "f2"), "chatId": group_id + 0.5}, "invalid_chatId"),
        ({**text(None, "spaced", alice, "f3"), "chatId": f"{group_id // 10} {group_id % 10}"}, "invalid_chatId"),
        ({"contentType": 0, "content": "to whom", "toUserId": "bob", "hasBeenSentId": "f4"}, "invalid_toUserId"),
        ({"contentType": 1, "content": attachment_id, "caption": "x" * 4001, "chatId": group_id,
          "hasBeenSentId": "f5"}, "invalid_body"),
        ({"contentType": 1, "content": attachment_id, "caption": ["a dot"], "chatId": group_id,
          "hasBeenSentId": "f6"}, "invalid_body"),
    ]
    for body, code in refusals:
        client.send(SEND, body)
        assert client.response(MESSAGE, hasBeenSentId=body["hasBeenSentId"])["errorCode"] == code
    assert client.closed is None


def test_a_file_an_operator_deletes_keeps_its_id_and_status_the_rest_null(server, gateway, back_office):
    """docs/gateway.md, Message fields: `file` of a deleted file, in the messageUpdated push."""
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,), "public")
    upload = alice.api("POST", f"/conversations/{group_id}/files",
                       files={"file": ("notes.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")})
    attachment_id = upload.json()["attachment"]["id"]
    sender, reader = logged_in(gateway, server, alice), logged_in(gateway, server, bob)
    sender.send(SEND, {"contentType": 5, "content": str(attachment_id), "caption": "notes", "chatId": str(group_id),
                       "hasBeenSentId": "del1"})
    sent = sender.response(MESSAGE, hasBeenSentId="del1")
    assert reader.response(MESSAGE, id=sent["id"])["file"]["status"] == "ready"

    back_office.post_form("/admin/attachment/", "/admin/attachment/delete/", id=str(attachment_id))
    updated = reader.response(PUSH, type="messageUpdated", id=sent["id"])
    assert updated["file"] == {"id": str(attachment_id), "status": "deleted", "name": None, "contentType": None,
                               "size": None, "url": None, "thumbnailUrl": None}
    assert (updated["content"], updated["caption"], updated["removed"]) == (str(attachment_id), "notes", False)


def test_toUserId_without_chatId_is_the_private_chat(server, gateway, connect):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    bob_socket = connect(bob, CHAT_EVENTS)
    client = logged_in(gateway, server, alice)
    client.send(SEND, {"contentType": 0, "content": "psst", "fromUserId": str(alice.id), "toUserId": str(bob.id),
                       "chatType": 1, "hasBeenSentId": "d1"})
    sent = client.response(MESSAGE, hasBeenSentId="d1")
    assert (sent["chatId"], sent["chatType"], sent["toUserId"], sent["toUserName"]) == (
        None, 0, str(bob.id), bob.username)
    client.response(PUSH, type="conversationAdded", conversationId=sent["conversationId"], toUserId=str(bob.id))
    wait_for(lambda: bob_socket.received["message:new"], what="the private message on bob's socket")
    [new] = [e["message"] for e in bob_socket.received["message:new"]]
    assert (new["body"], str(new["conversation_id"])) == ("psst", sent["conversationId"])
    assert bob_socket.call("message:send", {"conversation_id": new["conversation_id"], "body": "back"})["ok"]
    reply = client.response(MESSAGE, content="back")
    assert (reply["fromUserId"], reply["toUserId"], reply["chatId"]) == (str(bob.id), str(alice.id), None)


def test_refused_sends_change_nothing(server, gateway):
    alice, bob, carol = (ChatUser.register(server.url) for _ in range(3))
    group_id = create_group(alice, (bob,), "public")
    client = logged_in(gateway, server, alice)
    refusals = [
        ({"contentType": 4, "content": "100", "chatId": str(group_id), "hasBeenSentId": "r1"}, "red_packet_refused"),
        (text(group_id, "as bob", alice, "r2", fromUserId=str(bob.id)), "invalid_fromUserId"),
        (text(None, "nowhere", alice, "r3"), "invalid_chatId"),
        ({"contentType": 9, "content": "x", "chatId": str(group_id)}, "invalid_contentType"),
        (text(group_id, "", alice, "r5"), "invalid_body"),
        ({"contentType": 1, "content": "hello", "chatId": str(group_id)}, "invalid_content"),
    ]
    for body, code in refusals:
        client.send(SEND, body)
        answer = client.response(MESSAGE, errorCode=code)
        assert answer["success"] is False and answer["errorMsg"]
    assert client.response(MESSAGE, errorCode="red_packet_refused")["hasBeenSentId"] == "r1"
    outsider = logged_in(gateway, server, carol)
    outsider.send(SEND, text(group_id, "let me in", carol, "o1"))
    assert outsider.response(MESSAGE, hasBeenSentId="o1")["errorCode"] == "not_a_member"
    assert alice.api("GET", f"/conversations/{group_id}/messages").json()["messages"] == []
    assert client.closed is None and outsider.closed is None


def test_an_image_is_sent_by_its_attachment_id(server, gateway, connect):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,), "public")
    bob_socket = connect(bob)
    upload = alice.api("POST", f"/conversations/{group_id}/files", files={"file": ("dot.png", PNG, "image/png")})
    assert upload.status_code == 201, upload.text
    attachment_id = upload.json()["attachment"]["id"]
    client = logged_in(gateway, server, alice)
    client.send(SEND, {"contentType": 2, "content": str(attachment_id), "chatId": str(group_id), "hasBeenSentId": "v1"})
    assert client.response(MESSAGE, hasBeenSentId="v1")["errorCode"] == "invalid_contentType"
    client.send(SEND, {"contentType": 1, "content": str(attachment_id), "caption": "a dot", "chatId": str(group_id),
                       "hasBeenSentId": "i1"})
    sent = client.response(MESSAGE, hasBeenSentId="i1")
    assert (sent["success"], sent["contentType"], sent["content"], sent["caption"]) == (
        True, 1, str(attachment_id), "a dot")
    assert sent["file"] == {"id": str(attachment_id), "status": "ready", "name": "dot.png",
                            "contentType": "image/png", "size": len(PNG), "url": f"/files/{attachment_id}",
                            "thumbnailUrl": None}
    wait_for(lambda: bob_socket.received["message:new"], what="the image on bob's socket")
    [new] = [e["message"] for e in bob_socket.received["message:new"]]
    assert (new["kind"], new["attachment_id"], new["body"]) == ("image", attachment_id, "a dot")


def test_a_caption_that_is_not_text_is_refused_not_dropped(server, gateway):
    """caption is the message's body beside a file, under the rules of a text: `false`, `0` or a list
    is invalid_body (nothing stored, the file still unsent), as the REST API answers such a body;
    it was sent as a file without a caption. null or "" is no caption."""
    alice = ChatUser.register(server.url)
    group_id = create_group(alice, (), "public")
    client = logged_in(gateway, server, alice)
    upload = alice.api("POST", f"/conversations/{group_id}/files", files={"file": ("dot.png", PNG, "image/png")})
    attachment_id = upload.json()["attachment"]["id"]
    rest = alice.api("POST", f"/conversations/{group_id}/messages",
                     json={"body": False, "attachment_id": attachment_id})
    assert (rest.status_code, rest.json()["error"]["code"]) == (400, "invalid_body")
    for sent_id, caption in [("c1", False), ("c2", 0), ("c3", [])]:
        client.send(SEND, {"contentType": 1, "content": str(attachment_id), "caption": caption,
                           "chatId": str(group_id), "hasBeenSentId": sent_id})
        assert client.response(MESSAGE, hasBeenSentId=sent_id)["errorCode"] == "invalid_body"
    assert alice.api("GET", f"/conversations/{group_id}/messages").json()["messages"] == []
    client.send(SEND, {"contentType": 1, "content": str(attachment_id), "caption": None, "chatId": str(group_id),
                       "hasBeenSentId": "c4"})
    sent = client.response(MESSAGE, hasBeenSentId="c4")
    assert (sent["success"], sent["caption"], sent["content"]) == (True, "", str(attachment_id))


def test_voice_and_other_files_have_their_content_types(server, gateway):
    alice = ChatUser.register(server.url)
    group_id = create_group(alice, (), "public")
    client = logged_in(gateway, server, alice)
    wav = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + bytes(24) + b"data" + bytes(4)
    for name, data, content_type, number in [("hello.wav", wav, "audio/wav", 2),
                                             ("notes.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf", 5)]:
        upload = alice.api("POST", f"/conversations/{group_id}/files", files={"file": (name, data, content_type)})
        assert upload.status_code == 201, upload.text
        attachment_id = upload.json()["attachment"]["id"]
        client.send(SEND, {"contentType": number, "content": str(attachment_id), "chatId": str(group_id),
                           "hasBeenSentId": name.replace(".", "-")})
        sent = client.response(MESSAGE, hasBeenSentId=name.replace(".", "-"))
        assert (sent["success"], sent["contentType"], sent["file"]["name"]) == (True, number, name), sent
    kinds = [m["kind"] for m in alice.api("GET", f"/conversations/{group_id}/messages").json()["messages"]]
    assert sorted(kinds) == ["file", "voice"]


def test_gateway_clients_hear_each_other_and_the_senders_other_devices(server, gateway, connect):
    alice, bob, carol = (ChatUser.register(server.url) for _ in range(3))
    group_id = create_group(alice, (bob, carol), "public")
    phone, tablet, bob_gateway = (logged_in(gateway, server, user) for user in (alice, alice, bob))
    carol_socket = connect(carol)
    phone.send(SEND, text(group_id, "to all devices", alice, "dev-1"))
    answer = phone.response(MESSAGE, hasBeenSentId="dev-1")
    for client in (tablet, bob_gateway):
        assert client.response(MESSAGE, content="to all devices")["id"] == answer["id"]
    wait_for(lambda: carol_socket.received["message:new"], what="the message on carol's socket")
    assert carol_socket.call("message:send", {"conversation_id": group_id, "body": "sentinel"})["ok"]
    for client in (phone, tablet, bob_gateway):
        client.response(MESSAGE, content="sentinel")
        assert [body["id"] for command, body in client.received if command == MESSAGE].count(answer["id"]) == 1


def test_broadcasts_and_notices_arrive_as_pushes(server, gateway, back_office):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,), "public")
    client = logged_in(gateway, server, bob)
    body = f"Maintenance at noon {uuid.uuid4().hex[:4]}"
    back_office.post_form("/admin/broadcast/", "/admin/broadcast/", audience="group", group_id=group_id, body=body)
    push = client.response(PUSH, type="systemMessage", content=body)
    assert (push["chatId"], push["fromUserId"], push["fromUserName"]) == (str(group_id), None, "Switchboard")

    notice = f"A word for you {uuid.uuid4().hex[:4]}"
    back_office.post_form("/admin/broadcast/", "/admin/broadcast/", audience="user", username=bob.username, body=notice)
    added = client.response(PUSH, type="conversationAdded", name="Switchboard")
    push = client.response(PUSH, type="systemMessage", content=notice)
    assert (push["conversationId"], push["chatId"], push["toUserId"]) == (added["conversationId"], None, str(bob.id))
    assert [c for c, _ in client.received].count(MESSAGE) == 0


def test_a_groups_membership_note_arrives_as_a_push_with_its_english_sentence(server, gateway):
    """The gateway's clients get a membership note (docs/protocol.md) as every system message: its body."""
    alice, bob, carol = (ChatUser.register(server.url) for _ in range(3))
    group_id = create_group(alice, (bob,))
    client = logged_in(gateway, server, bob)
    assert alice.api("POST", f"/groups/{group_id}/members", json={"user_id": carol.id}).status_code == 201
    push = client.response(PUSH, type="systemMessage", content=f"{alice.username} added {carol.username}")
    assert (push["chatId"], push["fromUserId"]) == (str(group_id), None)


def test_a_broadcast_to_everyone_posted_by_the_job_consumer_arrives_as_a_push(server, gateway, back_office):
    client = logged_in(gateway, server, ChatUser.register(server.url))
    body = f"To everyone {uuid.uuid4().hex[:4]}"
    back_office.post_form("/admin/broadcast/", "/admin/broadcast/", audience="everyone", body=body)
    push = client.response(PUSH, type="systemMessage", content=body, timeout=20)
    assert (push["chatType"], push["fromUserId"]) == (0, None)


def test_an_operators_hide_reaches_the_gateway(server, gateway, back_office, connect):
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(alice, (bob,), "public")
    client = logged_in(gateway, server, alice)
    sent = connect(bob).call("message:send", {"conversation_id": group_id, "body": "offensive", "client_id": "h1"})
    message_id = sent["message"]["id"]
    assert client.response(MESSAGE, content="offensive")["id"] == str(message_id)

    back_office.post_form(f"/admin/message/context/?id={message_id}", f"/admin/message/moderate/{message_id}/hide")

    hidden = client.response(PUSH, type="messageUpdated", id=str(message_id))
    assert (hidden["removed"], hidden["removedBy"], hidden["content"]) == (True, "moderator", "")
    assert hidden["revision"] > sent["message"]["revision"]


def test_deactivation_closes_the_connection_and_the_token_stops_working(server, gateway, back_office):
    mallory = ChatUser.register(server.url)
    client = logged_in(gateway, server, mallory)

    back_office.post_form(f"/admin/user/manage/?id={mallory.id}", f"/admin/user/manage/{mallory.id}/deactivate")

    assert client.response(PUSH, type="closed")["errorCode"] == "deactivated"
    assert client.wait_closed().code == 1008
    again = gateway(server.url)
    again.send(LOGIN, {"userId": str(mallory.id), "token": mallory.token})
    assert again.response(LOGIN_RESPONSE)["errorCode"] == "invalid_token"


def test_a_suspension_closes_the_connection_with_its_code(server, gateway, back_office):
    mallory = ChatUser.register(server.url)
    client = logged_in(gateway, server, mallory)
    until = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    back_office.post_form(f"/admin/user/manage/?id={mallory.id}", f"/admin/user/manage/{mallory.id}/suspend",
                          until=until, reason="Flooding")

    closed = client.response(PUSH, type="closed")
    assert (closed["errorCode"], closed["errorMsg"]) == ("suspended", CLOSE_REASONS["suspended"])
    assert client.wait_closed().code == 1008


def test_revoking_a_token_closes_its_connections_only(server, gateway):
    alice = ChatUser.register(server.url)
    second = requests.post(server.url + "/api/tokens", json={"username": alice.username,
                                                               "password": "correct horse battery"}, timeout=10)
    assert second.status_code in (200, 201), second.text
    kept = logged_in(gateway, server, ChatUser(server.url, alice.username, second.json()["token"], alice.id))
    revoked = logged_in(gateway, server, alice)

    assert alice.api("DELETE", "/tokens/current").status_code in (200, 204)

    assert revoked.response(PUSH, type="closed")["errorCode"] == "token_revoked"
    assert revoked.wait_closed().code == 1008
    kept.send(PING, {})
    kept.response(PONG)
    assert kept.closed is None


def test_a_connection_that_only_pings_is_closed_once_its_token_has_expired(server, gateway):
    """Every request of a logged-in connection is refused once its token has expired, a ping too: a client
    that pings and never sends must not go on hearing every message (the connection keeps its token's end
    from the login: a ping asks no query)."""
    import sqlite3
    import time

    bob = ChatUser.register(server.url)
    ends = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=4)
    database = server.environment()["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE api_tokens SET expires_at = ? WHERE user_id = ?",
                           (ends.strftime("%Y-%m-%d %H:%M:%S.%f"), bob.id))
    client = logged_in(gateway, server, bob)
    client.send(PING, {})
    assert client.response(PONG) == {"success": True, "errorMsg": ""}
    time.sleep(max(0.0, (ends - datetime.now(UTC).replace(tzinfo=None)).total_seconds()) + 0.5)
    client.send(PING, {})
    assert client.response(PONG, errorCode="unauthorized")["success"] is False
    assert client.wait_closed().code == 1008


def test_a_refusal_echoes_a_string_or_integer_id_only(server, gateway):
    alice = ChatUser.register(server.url)
    client = logged_in(gateway, server, alice)
    for sent_id, echoed in [("r-1", "r-1"), (12, "12"), (True, None), (1.5, None), (["x"], None)]:
        client.send(SEND, {"contentType": 0, "content": "nowhere", "hasBeenSentId": sent_id})
        answer = client.response(MESSAGE)
        client.received.clear()
        assert answer["success"] is False and answer.get("hasBeenSentId") == echoed, (sent_id, answer)


def test_a_resend_is_answered_whatever_content_type_it_claims(server, gateway):
    """A resend of a stored file message, claimed as text this time: the stored message, duplicate."""
    alice = ChatUser.register(server.url)
    group_id = create_group(alice, (), "public")
    upload = alice.api("POST", f"/conversations/{group_id}/files", files={"file": ("dot.png", PNG, "image/png")})
    attachment_id = upload.json()["attachment"]["id"]
    client = logged_in(gateway, server, alice)
    client.send(SEND, {"contentType": 1, "content": str(attachment_id), "chatId": str(group_id), "hasBeenSentId": "f1"})
    first = client.response(MESSAGE, hasBeenSentId="f1")
    client.received.clear()
    client.send(SEND, text(group_id, "the same send", alice, "f1"))
    again = client.response(MESSAGE, hasBeenSentId="f1")
    assert (again["success"], again["duplicate"], again["id"], again["contentType"]) == (True, True, first["id"], 1)


def test_the_back_office_counts_gateway_connections(server, gateway, back_office):
    def connected() -> int:
        page = back_office.session.get(server.url + "/admin/", timeout=10).text
        return int(re.search(r'id="connected-sockets">(\d+)<', page).group(1))

    wait_for(lambda: connected() == 0, what="earlier tests' connections to be gone")
    client = logged_in(gateway, server, ChatUser.register(server.url))
    assert connected() == 1
    client.close()
    wait_for(lambda: connected() == 0, what="the closed connection to leave the count")


def test_presence_and_last_seen_of_a_gateway_client_come_from_the_presence_batch(server, gateway):
    """Logging in and out writes nothing itself (no write that can wait on the connect path); the
    presence batch announces the user and records when they were last seen, as for Socket.IO."""
    alice, bob = ChatUser.register(server.url), ChatUser.register(server.url)
    group_id = create_group(bob, (alice,))

    def alices_presence() -> dict:
        entries = bob.api("GET", f"/conversations/{group_id}/presence").json()["presence"]
        return next(entry for entry in entries if entry["user_id"] == alice.id)

    client = logged_in(gateway, server, alice)
    online = wait_for(lambda: (entry := alices_presence())["online"] and entry["last_seen_at"] and entry,
                      what="alice online, last seen when she came")
    client.close()
    offline = wait_for(lambda: (entry := alices_presence())["last_seen_at"] > online["last_seen_at"] and entry,
                       what="alice last seen when her connection closed")
    assert offline["online"] is False
