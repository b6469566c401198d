"""Replies, mentions and reactions (issue 9 C) through real clients on gunicorn + gevent: a reply
carries its quote and follows the original's removal, the history around a message, mentions
stored by user id and counted apart in the conversation list (`@all` for group admins only),
reactions live and through resync; refusals answer their code and store nothing."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from tests.integration.chat import create_group, history, open_direct, send
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration

LISTEN = ("message:new", "message:updated")


@pytest.fixture(scope="module")
def people(live_server):
    alice, bob, carol = (ChatUser.register(live_server.url) for _ in range(3))
    group = create_group(alice, (bob, carol))
    return alice, bob, carol, group


def updated_to(socket, message_id: int, revision: int) -> dict:
    wait_for(lambda: any(m["message"]["id"] == message_id and m["message"]["revision"] == revision
                         for m in socket.received["message:updated"]), what=f"revision {revision}")
    return next(m["message"] for m in socket.received["message:updated"]
                if m["message"]["id"] == message_id and m["message"]["revision"] == revision)


def summary(user: ChatUser, conversation_id: int) -> dict:
    response = user.api("GET", f"/conversations/{conversation_id}")
    assert response.status_code == 200, response.text
    return response.json()["conversation"]


def test_a_reply_quotes_its_original_until_it_is_deleted(people, live_server):
    alice, bob, _, group = people
    alice_tab, bob_tab = alice.socket(LISTEN), bob.socket(LISTEN)
    try:
        original = send(alice_tab, group, "lunch at noon? " + "x" * 200)
        ack = bob_tab.call("message:send", {"conversation_id": group, "body": "yes!", "reply_to": original["id"]})
        assert ack["ok"], ack
        quote = ack["message"]["reply_to"]
        assert quote == {"id": original["id"], "seq": original["seq"], "kind": "text", "removed": False,
                         "sender": quote["sender"], "excerpt": ("lunch at noon? " + "x" * 200)[:120]}
        assert quote["sender"]["id"] == alice.id
        arrived = alice_tab.received["message:new"]
        wait_for(lambda: any(m["message"]["id"] == ack["message"]["id"] for m in arrived), what="alice gets the reply")
        assert next(m["message"] for m in arrived if m["message"]["id"] == ack["message"]["id"])["reply_to"] == quote

        assert alice_tab.call("message:delete", {"message_id": original["id"]})["ok"]
        reply = next(m for m in history(bob, group) if m["id"] == ack["message"]["id"])
        assert reply["reply_to"] == {"id": original["id"], "seq": original["seq"], "kind": "text", "removed": True,
                                     "sender": None, "excerpt": ""}

        # A removed message, or one of another conversation, cannot be answered: nothing stored.
        elsewhere = send(alice_tab, open_direct(alice, bob), "psst")
        before = len(history(bob, group))
        refused = bob_tab.call("message:send", {"conversation_id": group, "body": "?", "reply_to": original["id"]})
        assert refused["ok"] is False and refused["error"]["code"] == "message_removed"
        response = bob.api("POST", f"/conversations/{group}/messages", json={"body": "?", "reply_to": elsewhere["id"]})
        assert response.status_code == 400 and response.json()["error"]["code"] == "reply_elsewhere"
        response = bob.api("POST", f"/conversations/{group}/messages", json={"body": "?", "reply_to": "one"})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_reply_to"
        assert len(history(bob, group)) == before
    finally:
        alice_tab.disconnect()
        bob_tab.disconnect()


def test_the_history_around_a_message(live_server):
    alice, bob, stranger = (ChatUser.register(live_server.url) for _ in range(3))
    chat = open_direct(alice, bob)
    tab = alice.socket(LISTEN)
    try:
        sent = [send(tab, chat, f"m{number}") for number in range(12)]
        target = sent[6]
        response = bob.api("GET", f"/messages/{target['id']}/around", params={"limit": 5})
        assert response.status_code == 200, response.text
        window = response.json()
        assert [m["body"] for m in window["messages"]] == ["m4", "m5", "m6", "m7", "m8"]
        assert (window["conversation_id"], window["has_more_before"], window["has_more_after"]) == (chat, True, True)
        ack = tab.call("messages:around", {"message_id": sent[1]["id"], "limit": 6})
        assert ack["ok"], ack
        assert [m["body"] for m in ack["messages"]] == ["m0", "m1", "m2", "m3", "m4", "m5"]
        assert (ack["has_more_before"], ack["has_more_after"]) == (False, True)
        # Only members find it: the stranger is refused, and a missing message is not found.
        response = stranger.api("GET", f"/messages/{target['id']}/around")
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_a_member"
        assert tab.call("messages:around", {"message_id": 10**9})["error"]["code"] == "message_not_found"
        assert tab.call("messages:around", {"message_id": target["id"], "limit": 0})["error"]["code"] == "invalid_limit"
    finally:
        tab.disconnect()


def test_mentions_are_references_counted_apart_and_all_is_for_admins(people):
    alice, bob, carol, group = people
    carol_tab, bob_tab, alice_tab = carol.socket(LISTEN), bob.socket(LISTEN), alice.socket(LISTEN)
    try:
        assert carol.api("POST", f"/conversations/{group}/read", json={"seq": 10**6}).status_code == 200
        mention = send(bob_tab, group, f"hi @{carol.username}, and @nobody-here, mail me at x@{alice.username}")
        assert (mention["mentions"], mention["mentions_all"]) == ([carol.id], False)
        # Carol's tab hears it with her id in it: the page notifies her even when she muted the group.
        wait_for(lambda: any(m["message"]["id"] == mention["id"] and m["message"]["mentions"] == [carol.id]
                             for m in carol_tab.received["message:new"]), what="carol's mention")
        send(bob_tab, group, "no mention here")
        assert (summary(carol, group)["unread_count"], summary(carol, group)["unread_mentions"]) == (2, 1)
        assert summary(alice, group)["unread_mentions"] == 0

        # @all: a member is refused and nothing is stored; the owner mentions everyone but herself.
        before = len(history(bob, group))
        refused = bob_tab.call("message:send", {"conversation_id": group, "body": "@all look"})
        assert refused["ok"] is False and refused["error"]["code"] == "mention_all_forbidden"
        assert len(history(bob, group)) == before
        everyone = send(alice_tab, group, "@all meeting now")
        assert everyone["mentions_all"] is True and sorted(everyone["mentions"]) == sorted([bob.id, carol.id])
        assert summary(carol, group)["unread_mentions"] == 2
        assert carol.api("POST", f"/conversations/{group}/read", json={"seq": everyone["seq"]}).status_code == 200
        assert summary(carol, group)["unread_mentions"] == 0

        # Editing mentions again from the new text.
        edited = bob_tab.call("message:edit", {"message_id": mention["id"], "body": f"sorry @{alice.username}"})
        assert edited["ok"] and edited["message"]["mentions"] == [alice.id]
    finally:
        for tab in (carol_tab, bob_tab, alice_tab):
            tab.disconnect()


def test_a_mention_in_code_or_a_link_notifies_nobody(people):
    """`@name` and `@all` in inline code or a fenced block are code, shown as code (actions/code_spans.py),
    and an `@name` inside a link is the link's text (actions/links.py): carol's tab gets the messages, with
    nobody in their mentions, and her unread mentions stay as they were."""
    alice, bob, carol, group = people
    carol_tab, bob_tab = carol.socket(LISTEN), bob.socket(LISTEN)
    try:
        assert carol.api("POST", f"/conversations/{group}/read", json={"seq": 10**6}).status_code == 200
        body = f"try `@{carol.username}` and `@all`, or\n```\n@{carol.username} @all\n```"
        in_code = send(bob_tab, group, body)  # bob is no admin: @all as code is no @all
        assert (in_code["mentions"], in_code["mentions_all"]) == ([], False)
        wait_for(lambda: any(m["message"]["id"] == in_code["id"] for m in carol_tab.received["message:new"]),
                 what="carol's copy of the message")
        assert next(m["message"] for m in carol_tab.received["message:new"]
                    if m["message"]["id"] == in_code["id"])["mentions"] == []
        in_link = send(bob_tab, group, f"see https://x.com/?u=@{carol.username} or example.com/@{carol.username}")
        assert in_link["mentions"] == []
        assert (summary(carol, group)["unread_count"], summary(carol, group)["unread_mentions"]) == (2, 0)
        # After the code, a name is a mention again.
        after = send(bob_tab, group, f"`see`@{carol.username}")
        assert after["mentions"] == [carol.id]
        assert summary(carol, group)["unread_mentions"] == 1
    finally:
        for tab in (carol_tab, bob_tab):
            tab.disconnect()


def test_a_deactivated_or_suspended_member_is_not_mentioned(live_server):
    """A member whom an operator deactivated or suspended stays in the group, but is not notified (as in
    Slack): `@dave` and `@erin` are plain text, and `@all` leaves them out; carol, active, is mentioned.
    Opened again, dave is mentioned as before."""
    alice, carol, dave, erin = (ChatUser.register(live_server.url) for _ in range(4))
    group = create_group(alice, (carol, dave, erin))
    operator = {"Authorization": f"Bearer {live_server.operator_token(f'op{alice.username[:20]}', 'Operator-pass-1')}"}

    def admin(path: str, body: dict | None = None) -> None:
        answer = requests.post(live_server.url + "/api/admin" + path, json=body, headers=operator, timeout=10)
        assert answer.status_code == 200, answer.text

    admin(f"/users/{dave.id}/deactivate")
    until = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0, tzinfo=None).isoformat() + "Z"
    admin(f"/users/{erin.id}/suspend", {"until": until, "reason": "Spam"})
    alice_tab, carol_tab = alice.socket(LISTEN), carol.socket(LISTEN)
    try:
        named = send(alice_tab, group, f"@{dave.username} @{erin.username} @{carol.username}")
        assert named["mentions"] == [carol.id]
        everyone = send(alice_tab, group, "@all lunch")  # alice owns the group
        assert (everyone["mentions"], everyone["mentions_all"]) == ([carol.id], True)
        wait_for(lambda: any(m["message"]["id"] == everyone["id"] for m in carol_tab.received["message:new"]),
                 what="carol's copy of @all")
        assert next(m["message"] for m in carol_tab.received["message:new"]
                    if m["message"]["id"] == named["id"])["mentions"] == [carol.id]
        admin(f"/users/{dave.id}/reactivate")
        assert send(alice_tab, group, f"@{dave.username} welcome back")["mentions"] == [dave.id]
    finally:
        alice_tab.disconnect()
        carol_tab.disconnect()


def test_reactions_live_and_through_resync(people, live_server):
    alice, bob, carol, group = people
    alice_tab, bob_tab = alice.socket(LISTEN), bob.socket(LISTEN)
    try:
        message = send(alice_tab, group, "ship it?")
        ack = bob_tab.call("reaction:add", {"message_id": message["id"], "emoji": "👍"})
        assert ack["ok"], ack
        assert ack["message"]["revision"] > message["revision"]
        seen = updated_to(alice_tab, message["id"], ack["message"]["revision"])
        assert seen["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [bob.id]}]
        # Again the same emoji changes nothing; another person's adds to the count (REST this time).
        assert bob_tab.call("reaction:add", {"message_id": message["id"], "emoji": "👍"})["message"]["revision"] == (
            ack["message"]["revision"])
        response = carol.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "👍"})
        assert response.status_code == 200, response.text
        response = carol.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "🎉"})
        assert response.json()["message"]["reactions"] == [
            {"emoji": "👍", "count": 2, "user_ids": [bob.id, carol.id]},
            {"emoji": "🎉", "count": 1, "user_ids": [carol.id]}]
        removed = bob_tab.call("reaction:remove", {"message_id": message["id"], "emoji": "👍"})
        assert removed["ok"], removed
        updated_to(alice_tab, message["id"], removed["message"]["revision"])

        # A client that missed all of it resyncs from the message's first revision and gets the result.
        resync = alice_tab.call("sync", {"conversations": [{"conversation_id": group, "since": message["revision"]}]})
        changed = [m for m in resync["conversations"][0]["messages"] if m["id"] == message["id"]]
        assert changed[-1]["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [carol.id]},
                                            {"emoji": "🎉", "count": 1, "user_ids": [carol.id]}]
        response = carol.api("DELETE", f"/messages/{message['id']}/reactions", params={"emoji": "🎉"})
        assert response.json()["message"]["reactions"] == [{"emoji": "👍", "count": 1, "user_ids": [carol.id]}]

        # Refusals change nothing: not an emoji, a field the route does not take (docs/protocol.md, Input:
        # it was ignored and the reaction added), a stranger, a removed message.
        revision = response.json()["message"]["revision"]
        response = carol.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "🎉", "remove": True})
        assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_field"
        assert bob_tab.call("reaction:add", {"message_id": message["id"], "emoji": "ok"})["error"]["code"] == (
            "invalid_emoji")
        stranger = ChatUser.register(live_server.url)
        response = stranger.api("POST", f"/messages/{message['id']}/reactions", json={"emoji": "👍"})
        assert response.status_code == 403 and response.json()["error"]["code"] == "not_a_member"
        assert alice_tab.call("message:delete", {"message_id": message["id"]})["ok"]
        gone = bob_tab.call("reaction:add", {"message_id": message["id"], "emoji": "👍"})
        assert gone["error"]["code"] == "message_removed"
        final = next(m for m in history(alice, group) if m["id"] == message["id"])
        assert final["revision"] == revision + 1 and final["reactions"] == []  # the deletion's revision only
    finally:
        alice_tab.disconnect()
        bob_tab.disconnect()
