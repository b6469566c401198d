"""Users connected to different server processes chat as if there were one (Redis + PostgreSQL)."""
import pytest

from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration


def test_messages_cross_instances(two_instances):
    first, second = two_instances
    alice = ChatUser.register(first.url)
    bob = ChatUser.register(first.url)
    group = alice.api("POST", "/groups", json={"name": "Across", "member_ids": [bob.id]}).json()["conversation"]
    alice_socket = alice.socket()
    bob_socket = bob.on(second.url).socket()
    try:
        ack = alice_socket.call("message:send", {"conversation_id": group["id"], "body": "over redis"})
        assert ack["ok"], ack
        wait_for(lambda: bob_socket.received["message:new"], what="message on the other instance")
        assert [event["message"]["id"] for event in bob_socket.received["message:new"]] == [ack["message"]["id"]]
    finally:
        alice_socket.disconnect()
        bob_socket.disconnect()


def test_membership_changes_move_sockets_on_other_instances(two_instances):
    first, second = two_instances
    owner = ChatUser.register(first.url)
    member = ChatUser.register(first.url)
    group = owner.api("POST", "/groups", json={"name": "Moving"}).json()["conversation"]
    events = ("message:new", "conversation:added", "conversation:removed")
    owner_socket = owner.socket(events)
    member_socket = member.on(second.url).socket(events)
    try:
        owner_socket.call("message:send", {"conversation_id": group["id"], "body": "before"})
        assert owner.api("POST", f"/groups/{group['id']}/members", json={"user_id": member.id}).status_code == 201
        wait_for(lambda: member_socket.received["conversation:added"], what="conversation:added")
        owner_socket.call("message:send", {"conversation_id": group["id"], "body": "while a member"})
        wait_for(lambda: len(member_socket.received["message:new"]) >= 2, what="message after joining")
        assert owner.api("DELETE", f"/groups/{group['id']}/members/{member.id}").status_code == 200
        wait_for(lambda: member_socket.received["conversation:removed"], what="conversation:removed")
        owner_socket.call("message:send", {"conversation_id": group["id"], "body": "after removal"})
        sentinel = owner.api("POST", "/direct", json={"user_id": member.id}).json()["conversation"]
        owner_socket.call("message:send", {"conversation_id": sentinel["id"], "body": "sentinel"})
        wait_for(lambda: len(member_socket.received["message:new"]) >= 3, what="the sentinel")
        bodies = [event["message"]["body"] for event in member_socket.received["message:new"]]
        # The note of the addition reaches the member too (docs/protocol.md "Membership notes").
        assert bodies == [f"{owner.username} added {member.username}", "while a member", "sentinel"]
    finally:
        owner_socket.disconnect()
        member_socket.disconnect()


def test_concurrent_sends_on_two_instances_get_distinct_sequence_numbers(two_instances):
    from concurrent.futures import ThreadPoolExecutor

    first, second = two_instances
    alice = ChatUser.register(first.url)
    bob = ChatUser.register(first.url)
    group = alice.api("POST", "/groups", json={"name": "Race", "member_ids": [bob.id]}).json()["conversation"]
    senders = [alice.socket(), bob.on(second.url).socket()]
    try:
        def send_many(socket, prefix):
            return [socket.call("message:send", {"conversation_id": group["id"], "body": f"{prefix}{i}",
                                                 "client_id": f"{prefix}{i}"}) for i in range(30)]

        with ThreadPoolExecutor(2) as pool:
            acks = [ack for batch in pool.map(send_many, senders, ["a", "b"]) for ack in batch]
        assert all(ack["ok"] for ack in acks)
        assert sorted(ack["message"]["seq"] for ack in acks) == list(range(1, 61))
    finally:
        for socket in senders:
            socket.disconnect()
