"""Delivery and read receipts (ticks) through real clients on gunicorn + gevent: a recipient's
client acks delivery, reading and writing move the read position, and the authors of the messages
passed, and nobody else, are told (`conversation:receipt`) on all their tabs; the reader's privacy
setting hides the read position but not delivery; refusals change nothing."""
from __future__ import annotations

import pytest

from tests.integration.chat import group_with, open_direct, send
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration

LISTEN = ("message:new", "conversation:receipt", "conversation:read")


def receipts_seen(socket, count: int) -> list[dict]:
    wait_for(lambda: len(socket.received["conversation:receipt"]) >= count, what=f"{count} receipts")
    return socket.received["conversation:receipt"]


def receipt(conversation_id: int, user: ChatUser, delivered: int, read: int | None) -> dict:
    return {"conversation_id": conversation_id, "user_id": user.id, "last_delivered_seq": delivered,
            "last_read_seq": read}


def group_of_three(server, name: str, events: tuple[str, ...] = LISTEN):
    """alice's group `name` with bob and carol, and a socket of each recording `events`:
    ((alice, bob, carol), the group's id, {name: socket})."""
    alice, bob, carol = (ChatUser.register(server.url) for _ in range(3))
    group = group_with(alice, bob, carol, name=name)
    sockets = {who: user.socket(events) for who, user in (("alice", alice), ("bob", bob), ("carol", carol))}
    return (alice, bob, carol), group["id"], sockets


def test_sent_delivered_read_across_two_users_and_two_tabs(live_server):
    alice, bob = ChatUser.register(live_server.url), ChatUser.register(live_server.url)
    chat = open_direct(alice, bob)
    alice_tab, alice_phone = alice.socket(LISTEN), alice.socket(LISTEN)
    bob_tab, bob_other_tab = bob.socket(LISTEN), bob.socket(LISTEN)
    try:
        first = send(alice_tab, chat, "are you there?")  # ✓: stored and acked
        wait_for(lambda: bob_tab.received["message:new"], what="bob's copy")
        # Delivered (✓✓): one of bob's tabs acks; his other tab acking the same is no news.
        assert bob_tab.call("conversation:delivered", {"conversation_id": chat, "seq": first["seq"]}) == {
            "ok": True, "last_delivered_seq": first["seq"]}
        assert bob_other_tab.call("conversation:delivered", {"conversation_id": chat, "seq": first["seq"]}) == {
            "ok": True, "last_delivered_seq": first["seq"]}
        # Read (✓✓ coloured): both of alice's devices are told, in that order.
        assert bob_other_tab.call("conversation:read", {"conversation_id": chat, "seq": first["seq"]})["ok"]
        expected = [receipt(chat, bob, 1, 0), receipt(chat, bob, 1, 1)]
        for socket in (alice_tab, alice_phone):
            assert receipts_seen(socket, 2) == expected
        # Bob's own tabs learn nothing about themselves but the read position (unread counts): checked
        # once alice's next message has reached the tab, which comes after anything the read told it.
        wait_for(lambda: bob_tab.received["conversation:read"], what="bob's other tab follows the read")

        # Writing reads: bob's reply passes alice's second message, which he never acked.
        second = send(alice_tab, chat, "hello?")
        wait_for(lambda: len(bob_tab.received["message:new"]) == 2, what="alice's second message at bob's tab")
        assert bob_tab.received["conversation:receipt"] == []
        send(bob_tab, chat, "here")
        assert receipts_seen(alice_tab, 3)[2] == receipt(chat, bob, second["seq"] + 1, second["seq"] + 1)
        # Alice is not told about herself when she reads bob's reply; bob is.
        assert alice_phone.call("conversation:read", {"conversation_id": chat, "seq": second["seq"] + 1})["ok"]
        assert receipts_seen(bob_tab, 1) == [receipt(chat, alice, second["seq"] + 1, second["seq"] + 1)]

        listed = alice.api("GET", f"/conversations/{chat}/receipts").json()["receipts"]
        assert [(entry["user_id"], entry["user"]["username"], entry["last_delivered_seq"], entry["last_read_seq"])
                for entry in listed] == [(bob.id, bob.username, 3, 3)]
        conversation = alice.api("GET", f"/conversations/{chat}").json()["conversation"]
        assert conversation["membership"]["last_delivered_seq"] == 3
        # Her own read told her nothing: the next receipt she is told, bob's delivery of a later message,
        # arrives after anything told to her before it, and comes right after the third.
        fourth = send(alice_tab, chat, "still there?")
        assert bob_tab.call("conversation:delivered", {"conversation_id": chat, "seq": fourth["seq"]})["ok"]
        assert receipts_seen(alice_tab, 4)[3:] == [receipt(chat, bob, fourth["seq"], 3)]
    finally:
        for socket in (alice_tab, alice_phone, bob_tab, bob_other_tab):
            socket.disconnect()


def test_read_receipts_hidden_by_privacy_still_show_delivery(live_server):
    alice, bob = ChatUser.register(live_server.url), ChatUser.register(live_server.url)
    chat = open_direct(alice, bob)
    assert bob.api("PUT", "/me/privacy", json={"read_receipts": "nobody"}).ok
    author = alice.socket(LISTEN)
    try:
        first = send(author, chat, "one")
        # REST clients (and gateway clients) ack through the REST route.
        answer = bob.api("POST", f"/conversations/{chat}/delivered", json={"seq": first["seq"]})
        assert answer.json() == {"ok": True, "last_delivered_seq": 1}
        assert bob.api("POST", f"/conversations/{chat}/read", json={"seq": 1}).ok  # hidden: nothing to tell
        second = send(author, chat, "two")
        assert bob.api("POST", f"/conversations/{chat}/read", json={"seq": second["seq"]}).ok  # delivered too
        assert receipts_seen(author, 2) == [receipt(chat, bob, 1, None), receipt(chat, bob, 2, None)]
        (listed,) = alice.api("GET", f"/conversations/{chat}/receipts").json()["receipts"]
        assert (listed["last_delivered_seq"], listed["last_read_seq"]) == (2, None)
    finally:
        author.disconnect()


def test_a_privacy_change_hides_and_shows_read_positions_live(live_server):
    """The reader changes `read_receipts` (REST, then the socket): the other members' open pages learn
    it at once, per shared conversation (`conversation:receipt`, read null while hidden); a member whose
    view did not change is told nothing."""
    (alice, bob, carol), group, sockets = group_of_three(live_server, "Privacy", LISTEN + ("privacy:updated",))
    chat = open_direct(alice, bob)
    try:
        from_alice = send(sockets["alice"], group, "read me")
        assert sockets["bob"].call("conversation:read", {"conversation_id": group, "seq": from_alice["seq"]})["ok"]
        assert receipts_seen(sockets["alice"], 1) == [receipt(group, bob, 1, 1)]
        sockets["alice"].received["conversation:receipt"].clear()
        # Bob and alice become contacts: "contacts" then hides bob's reading from carol only.
        request = bob.api("POST", "/contacts/requests", json={"username": alice.username}).json()["request"]
        assert alice.api("POST", f"/contacts/requests/{request['id']}/accept").ok
        assert bob.api("PUT", "/me/privacy", json={"read_receipts": "contacts"}).ok
        assert receipts_seen(sockets["carol"], 1) == [receipt(group, bob, 1, None)]
        # "nobody": now alice too, in both conversations she shares with bob.
        assert bob.api("PUT", "/me/privacy", json={"read_receipts": "nobody"}).ok
        hidden = receipts_seen(sockets["alice"], 2)
        assert sorted(hidden, key=lambda frame: frame["conversation_id"]) == sorted(
            [receipt(group, bob, 1, None), receipt(chat, bob, 0, None)], key=lambda frame: frame["conversation_id"])
        (listed,) = [entry for entry in alice.api("GET", f"/conversations/{group}/receipts").json()["receipts"]
                     if entry["user_id"] == bob.id]
        assert listed["last_read_seq"] is None
        # Over the socket, back to "everyone": both see it again.
        answer = sockets["bob"].call("privacy:update", {"read_receipts": "everyone"})
        assert answer["ok"] and answer["privacy"]["read_receipts"] == "everyone"
        assert receipts_seen(sockets["carol"], 2)[1] == receipt(group, bob, 1, 1)
        shown = receipts_seen(sockets["alice"], 4)[2:]
        assert sorted(shown, key=lambda frame: frame["conversation_id"]) == sorted(
            [receipt(group, bob, 1, 1), receipt(chat, bob, 0, 0)], key=lambda frame: frame["conversation_id"])
        # Bob himself hears only his own settings; the same value again tells the others nothing.
        wait_for(lambda: len(sockets["bob"].received["privacy:updated"]) == 3, what="bob's privacy:updated")
        assert bob.api("PUT", "/me/privacy", json={"read_receipts": "everyone"}).ok
        marker = send(sockets["carol"], group, "marker")  # carol's message read by bob: alice is not told
        assert sockets["bob"].call("conversation:read", {"conversation_id": group, "seq": marker["seq"]})["ok"]
        assert receipts_seen(sockets["carol"], 3)[2] == receipt(group, bob, marker["seq"], marker["seq"])
        # (Carol's sending read alice's message: alice hears that, and nothing more of bob.) A later
        # message reaching alice and bob is the marker: whatever bob's read told them came before it.
        later = send(sockets["carol"], group, "later")
        for name in ("alice", "bob"):
            wait_for(lambda name=name: [frame["message"]["id"] for frame in sockets[name].received["message:new"]
                                        if frame["message"]["id"] == later["id"]], what=f"{name}'s later message")
        assert receipts_seen(sockets["alice"], 5)[4:] == [receipt(group, carol, marker["seq"], marker["seq"])]
        assert sockets["bob"].received["conversation:receipt"] == []
    finally:
        for socket in sockets.values():
            socket.disconnect()


def test_a_block_hides_read_positions_both_ways_live(live_server):
    """Blocking someone hides each one's read position from the other at once (in the conversations
    they share), and unblocking shows it again; the third member, whose view is the same, is not told."""
    (alice, bob, carol), group, sockets = group_of_three(live_server, "Blocks")
    try:
        from_alice = send(sockets["alice"], group, "one")
        from_bob = send(sockets["bob"], group, "two")  # bob read alice's
        assert receipts_seen(sockets["alice"], 1) == [receipt(group, bob, 2, 2)]
        assert sockets["alice"].call("conversation:read", {"conversation_id": group, "seq": from_bob["seq"]})["ok"]
        assert receipts_seen(sockets["bob"], 1) == [receipt(group, alice, 2, 2)]
        assert bob.api("POST", "/blocks", json={"user_id": alice.id}).status_code in (200, 201)
        assert receipts_seen(sockets["alice"], 2)[1] == receipt(group, bob, 2, None)
        assert receipts_seen(sockets["bob"], 2)[1] == receipt(group, alice, 2, None)
        assert bob.api("DELETE", f"/blocks/{alice.id}").status_code == 200
        assert receipts_seen(sockets["alice"], 3)[2] == receipt(group, bob, 2, 2)
        assert receipts_seen(sockets["bob"], 3)[2] == receipt(group, alice, 2, 2)
        # Carol was told nothing of it: the first receipt she gets is for her own message, read by alice.
        own = send(sockets["carol"], group, "three")
        assert sockets["alice"].call("conversation:read", {"conversation_id": group, "seq": own["seq"]})["ok"]
        assert receipts_seen(sockets["carol"], 1) == [receipt(group, alice, own["seq"], own["seq"])]
        assert from_alice["seq"] == 1
    finally:
        for socket in sockets.values():
            socket.disconnect()


def test_in_a_group_only_the_authors_passed_are_told(live_server):
    (alice, bob, carol), group, sockets = group_of_three(live_server, "Ticks")
    try:
        from_alice = send(sockets["alice"], group, "from alice")
        from_carol = send(sockets["carol"], group, "from carol")
        # Writing reads: carol's message passed alice's, so alice hears carol read it (✓✓ coloured from carol).
        assert receipts_seen(sockets["alice"], 1) == [receipt(group, carol, 2, 2)]
        # Bob acks both messages: both authors are told.
        assert sockets["bob"].call("conversation:delivered", {"conversation_id": group, "seq": from_carol["seq"]})["ok"]
        assert receipts_seen(sockets["alice"], 2)[1] == receipt(group, bob, 2, 0)
        assert receipts_seen(sockets["carol"], 1) == [receipt(group, bob, 2, 0)]
        # Reading alice's message passes none of carol's: only alice is told.
        assert sockets["bob"].call("conversation:read", {"conversation_id": group, "seq": from_alice["seq"]})["ok"]
        assert receipts_seen(sockets["alice"], 3)[2] == receipt(group, bob, 2, 1)
        assert sockets["bob"].call("conversation:read", {"conversation_id": group, "seq": from_carol["seq"]})["ok"]
        assert receipts_seen(sockets["carol"], 2)[1] == receipt(group, bob, 2, 2)
        listed = {entry["user_id"]: (entry["last_delivered_seq"], entry["last_read_seq"])
                  for entry in alice.api("GET", f"/conversations/{group}/receipts").json()["receipts"]}
        assert listed == {bob.id: (2, 2), carol.id: (2, 2)}
        assert sockets["carol"].call("conversation:receipts", {"conversation_id": group})["receipts"][0][
            "last_read_seq"] == 1
        # Bob, the reader, was told nothing: alice reading his later message is the first receipt he gets.
        marker = send(sockets["bob"], group, "marker")
        # Carol got bob's second read only after his first one, which alice alone was told: carol never saw
        # it; nor was alice told of his second. Counted once the marker reached them, after those reads.
        for name in ("alice", "carol"):
            wait_for(lambda name=name: any(frame["message"]["id"] == marker["id"]
                                           for frame in sockets[name].received["message:new"]),
                     what=f"the marker at {name}'s")
        assert len(sockets["carol"].received["conversation:receipt"]) == 2
        assert len(sockets["alice"].received["conversation:receipt"]) == 3
        assert sockets["alice"].call("conversation:read", {"conversation_id": group, "seq": marker["seq"]})["ok"]
        assert receipts_seen(sockets["bob"], 1) == [receipt(group, alice, marker["seq"], marker["seq"])]
    finally:
        for socket in sockets.values():
            socket.disconnect()


def test_bad_acks_are_refused_and_change_nothing(live_server):
    alice, bob, eve = (ChatUser.register(live_server.url) for _ in range(3))
    chat = open_direct(alice, bob)
    author, socket, outsider = alice.socket(()), bob.socket(LISTEN), eve.socket(LISTEN)
    try:
        send(author, chat, "hi")
        for payload, code in (({}, "invalid_conversation_id"), ({"conversation_id": chat}, "invalid_seq"),
                              ({"conversation_id": chat, "seq": -1}, "invalid_seq"),
                              ({"conversation_id": chat, "seq": 1.5}, "invalid_seq")):
            answer = socket.call("conversation:delivered", payload)
            assert answer["ok"] is False and answer["error"]["code"] == code, (payload, answer)
        refused = outsider.call("conversation:delivered", {"conversation_id": chat, "seq": 1})
        assert refused["error"]["code"] == "not_a_member"
        response = eve.api("POST", f"/conversations/{chat}/delivered", json={"seq": 1})
        assert (response.status_code, response.json()["error"]["code"]) == (403, "not_a_member")
        response = bob.api("POST", f"/conversations/{chat}/delivered", json={"seq": True})
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_seq")
        (listed,) = alice.api("GET", f"/conversations/{chat}/receipts").json()["receipts"]
        assert listed["last_delivered_seq"] == 0
        # Beyond the newest message: held at it.
        assert socket.call("conversation:delivered", {"conversation_id": chat, "seq": 99})["last_delivered_seq"] == 1
    finally:
        for each in (author, socket, outsider):
            each.disconnect()
