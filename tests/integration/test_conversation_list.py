"""The conversation list (last message, unread counts per user) and read positions."""
from __future__ import annotations

import pytest

from tests.integration.chat import create_group, events_for, open_direct, send
from tests.servers import wait_for

pytestmark = pytest.mark.integration


def listed(user, conversation_id: int) -> dict:
    response = user.api("GET", "/conversations")
    assert response.status_code == 200, response.text
    (entry,) = [c for c in response.json()["conversations"] if c["id"] == conversation_id]
    return entry


def test_the_list_shows_the_last_message_and_each_users_unread_count(register, connect):
    alice, bob, carol = register(), register(), register()
    group_id = create_group(alice, (bob, carol))
    alice_socket, bob_socket = connect(alice), connect(bob)
    for number in range(3):
        send(alice_socket, group_id, f"from alice {number}")
    last = send(bob_socket, group_id, "from bob")

    unread = {user.username: listed(user, group_id)["unread_count"] for user in (alice, bob, carol)}
    # Bob answered, so he has read what came before his message.
    assert unread == {alice.username: 1, bob.username: 0, carol.username: 4}
    for user in (alice, bob, carol):
        assert listed(user, group_id)["last_message"] == last
    over_socket = connect(carol).call("conversations:list", {})
    assert over_socket["ok"] is True
    assert [c for c in over_socket["conversations"] if c["id"] == group_id] == [listed(carol, group_id)]


def test_the_most_recently_active_conversation_comes_first(register, connect):
    alice, bob = register(), register()
    quiet, busy = create_group(alice, (bob,)), open_direct(alice, bob)
    alice_socket = connect(alice)
    send(alice_socket, busy, "first")
    send(alice_socket, quiet, "now this one")
    order = [c["id"] for c in bob.api("GET", "/conversations").json()["conversations"]]
    assert order == [quiet, busy]


def test_reading_lowers_the_unread_count_and_reaches_the_users_other_sockets(register, connect):
    alice, carol = register(), register()
    group_id = create_group(alice, (carol,))
    alice_socket = connect(alice)
    sent = [send(alice_socket, group_id, f"message {number}") for number in range(4)]
    phone, laptop = connect(carol), connect(carol)
    assert listed(carol, group_id)["unread_count"] == 4

    ack = phone.call("conversation:read", {"conversation_id": group_id, "seq": sent[1]["seq"]})
    assert ack == {"ok": True, "last_read_seq": 2}
    echoed = wait_for(lambda: events_for(laptop, "conversation:read", group_id), what="conversation:read")
    assert echoed == [{"conversation_id": group_id, "last_read_seq": 2}]
    assert listed(carol, group_id)["unread_count"] == 2
    assert listed(carol, group_id)["membership"]["last_read_seq"] == 2
    assert listed(alice, group_id)["unread_count"] == 0
    # Carol's reading is hers alone: alice heard only of her own (each send reads the conversation).
    assert [read["last_read_seq"] for read in events_for(alice_socket, "conversation:read", group_id)] == [1, 2, 3, 4]

    backwards = phone.call("conversation:read", {"conversation_id": group_id, "seq": 1})
    assert backwards == {"ok": True, "last_read_seq": 2}  # never moves back
    beyond = laptop.call("conversation:read", {"conversation_id": group_id, "seq": 99})
    assert beyond == {"ok": True, "last_read_seq": 4}  # capped at the newest message
    wait_for(lambda: events_for(phone, "conversation:read", group_id)[-1]["last_read_seq"] == 4,
             what="conversation:read up to 4 on the phone")
    assert listed(carol, group_id)["unread_count"] == 0


def test_own_and_removed_messages_are_not_unread(register, connect):
    alice, bob = register(), register()
    group_id = create_group(alice, (bob,))
    alice_socket, bob_socket = connect(alice), connect(bob)
    send(alice_socket, group_id, "kept")
    deleted = send(alice_socket, group_id, "deleted")
    send(alice_socket, group_id, "also kept")
    assert alice_socket.call("message:delete", {"message_id": deleted["id"]})["ok"]
    assert listed(bob, group_id)["unread_count"] == 2
    assert listed(alice, group_id)["unread_count"] == 0

    send(bob_socket, group_id, "bob's own")
    assert listed(bob, group_id)["unread_count"] == 0  # answering reads what came before
    assert listed(alice, group_id)["unread_count"] == 1


def test_reading_is_refused_for_others_conversations_and_bad_seqs(register, connect):
    alice, mallory = register(), register()
    group_id = create_group(alice)
    mallory_socket = connect(mallory)
    not_member = mallory_socket.call("conversation:read", {"conversation_id": group_id, "seq": 1})
    assert not_member["ok"] is False and not_member["error"]["code"] == "not_a_member"
    negative = connect(alice).call("conversation:read", {"conversation_id": group_id, "seq": -1})
    assert negative["ok"] is False and negative["error"]["code"] == "invalid_seq"
    rest = mallory.api("POST", f"/conversations/{group_id}/read", json={"seq": 1})
    assert rest.status_code == 403
