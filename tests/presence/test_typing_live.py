"""Typing through real clients: told to the conversation's members at once, at most once every 2 s
per user and conversation (the ack says whether it went out), "stopped" told once while members show
the user typing and not ending the wait (so alternating the two floods nobody); refused to non-members
and for bad input; nothing stored."""
from __future__ import annotations

import time

import pytest

from tests.gateway.client import MESSAGE, SEND, GatewayClient
from tests.integration.chat import create_group
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration

TYPING_WAIT_SECONDS = 2  # docs/protocol.md: a `typing` within 2 s of the last one told is not told


def test_typing_is_throttled_and_stopping_is_told(presence_server):
    alice, bob, eve = (ChatUser.register(presence_server.url) for _ in range(3))
    group_id = create_group(alice, (bob,))
    eves_group = create_group(eve, (alice,))  # for the marker below
    typist, reader, outsider = alice.socket(("typing",)), bob.socket(("typing",)), eve.socket(("typing",))
    try:
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        told_at = time.monotonic()
        assert typist.call("typing", {"conversation_id": group_id, "typing": True}) == {"ok": True, "sent": False}
        assert typist.call("typing", {"conversation_id": group_id, "typing": False}) == {"ok": True, "sent": True}
        # Alternating as fast as the acks come tells nobody more: the wait goes on, and a "stopped"
        # after nothing shown is not told.
        for _ in range(5):
            assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": False}
            assert typist.call("typing", {"conversation_id": group_id, "typing": False}) == {"ok": True, "sent": False}
        wait_for(lambda: time.monotonic() - told_at >= TYPING_WAIT_SECONDS, what="the wait")
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        wait_for(lambda: len(reader.received["typing"]) == 3, what="three typing frames")
        assert reader.received["typing"] == [
            {"conversation_id": group_id, "user_id": alice.id, "typing": True},
            {"conversation_id": group_id, "user_id": alice.id, "typing": False},
            {"conversation_id": group_id, "user_id": alice.id, "typing": True}]

        # A message ends the wait too: typing again right after sending is told at once.
        assert typist.call("message:send", {"conversation_id": group_id, "body": "hi", "client_id": "t1"})["ok"]
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        wait_for(lambda: len(reader.received["typing"]) == 4, what="typing after the message")
        del reader.received["typing"][3]

        refused = outsider.call("typing", {"conversation_id": group_id})
        assert refused["ok"] is False and refused["error"]["code"] in ("forbidden", "not_a_member",
                                                                       "conversation_not_found")
        for bad in ({}, {"conversation_id": "x"}, {"conversation_id": group_id, "typing": "yes"}):
            assert typist.call("typing", bad)["ok"] is False, bad
        # The outsider's refused event told nobody: bob's next frame is alice's next one.
        typist.call("typing", {"conversation_id": group_id, "typing": False})
        wait_for(lambda: len(reader.received["typing"]) == 4, what="the fourth frame")
        assert reader.received["typing"][3]["user_id"] == alice.id
        # Alice typing in a conversation eve shares reaches eve after anything told to her before it.
        assert typist.call("typing", {"conversation_id": eves_group}) == {"ok": True, "sent": True}
        wait_for(lambda: outsider.received["typing"], what="the marker at eve's")
        assert outsider.received["typing"] == [{"conversation_id": eves_group, "user_id": alice.id, "typing": True}]
    finally:
        for socket in (typist, reader, outsider):
            socket.disconnect()


def test_a_message_sent_over_rest_or_the_gateway_ends_typing_as_a_socket_send_does(presence_server):
    """Clearing on send is the action's (actions.messages.send_message), not the socket handler's: the
    reader sees the typist's message arrive (which clears "typing", docs/protocol.md), and the typist's
    next "typing" is told at once, whichever transport carried the message."""
    alice, bob = ChatUser.register(presence_server.url), ChatUser.register(presence_server.url)
    group_id = create_group(alice, (bob,))
    typist, reader = alice.socket(("typing",)), bob.socket(("typing", "message:new"))
    gateway = GatewayClient(presence_server.url)
    try:
        assert gateway.login(alice.token, alice.id)["success"] is True
        told_at = time.monotonic()
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        response = alice.api("POST", f"/conversations/{group_id}/messages", json={"body": "over REST"})
        assert response.status_code == 201
        # Within the 2 s of the first one: told only because the REST send ended the wait. (Past them it
        # would be told anyway, and the check would prove nothing: then fail rather than pass.)
        assert time.monotonic() - told_at < TYPING_WAIT_SECONDS, "too slow to tell the REST send's effect"
        told_at = time.monotonic()
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        wait_for(lambda: len(reader.received["typing"]) == 2, what="typing again after the REST send")
        wait_for(lambda: reader.received["message:new"], what="the REST message at bob's")
        assert [frame["message"]["body"] for frame in reader.received["message:new"]] == ["over REST"]

        gateway.send(SEND, {"chatId": str(group_id), "contentType": 0, "content": "over the gateway",
                            "hasBeenSentId": "g1"})
        assert gateway.response(MESSAGE, hasBeenSentId="g1")["success"] is True  # 4 answers 3
        assert time.monotonic() - told_at < TYPING_WAIT_SECONDS, "too slow to tell the gateway send's effect"
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        wait_for(lambda: len(reader.received["typing"]) == 3, what="typing again after the gateway send")
        wait_for(lambda: len(reader.received["message:new"]) == 2, what="the gateway's message at bob's")
        assert reader.received["message:new"][1]["message"]["body"] == "over the gateway"
        # Still throttled when no message came between: the wait was ended by the sends, not lifted.
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": False}
    finally:
        gateway.close()
        for socket in (typist, reader):
            socket.disconnect()


def test_typing_is_not_told_across_a_block(presence_server):
    """A block hides presence both ways (docs/protocol.md), and typing shows that someone is there: in
    a group they share, neither the blocker nor the blocked person is told the other's typing (the
    blocked person learnt the blocker was online from it; the blocker's page only hid it). The other
    members, and the typist's own sockets, still are."""
    alice, bob, carol = (ChatUser.register(presence_server.url) for _ in range(3))
    group_id = create_group(alice, (bob, carol))
    assert bob.api("POST", "/blocks", json={"user_id": alice.id}).status_code == 201
    blocked, blocker, other = (user.socket(("typing",)) for user in (alice, bob, carol))
    try:
        assert blocked.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        assert blocker.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        assert other.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        for socket, user in ((blocked, alice), (blocker, bob)):
            wait_for(lambda socket=socket: any(frame["user_id"] == carol.id for frame in socket.received["typing"]),
                     what="carol's typing")
            assert [frame["user_id"] for frame in socket.received["typing"]] == [user.id, carol.id]
        wait_for(lambda: len(other.received["typing"]) == 3, what="everyone's typing at carol's")
        assert [frame["user_id"] for frame in other.received["typing"]] == [alice.id, bob.id, carol.id]

        # Lifting the block tells them again.
        assert bob.api("DELETE", f"/blocks/{alice.id}").status_code == 200
        assert blocker.call("typing", {"conversation_id": group_id, "typing": False}) == {"ok": True, "sent": True}
        wait_for(lambda: len(blocked.received["typing"]) == 3, what="bob's stop at alice's")
        assert blocked.received["typing"][2] == {"conversation_id": group_id, "user_id": bob.id, "typing": False}
    finally:
        for socket in (blocked, blocker, other):
            socket.disconnect()
