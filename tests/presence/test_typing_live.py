"""Typing through real clients: told to the conversation's members at once, at most once every 2 s
per user and conversation (the ack says whether it went out), "stopped" always told and ending the
wait; refused to non-members and for bad input; nothing stored."""
from __future__ import annotations

import pytest

from tests.integration.chat import create_group
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration


def test_typing_is_throttled_and_stopping_is_told(presence_server):
    alice, bob, eve = (ChatUser.register(presence_server.url) for _ in range(3))
    group_id = create_group(alice, (bob,))
    eves_group = create_group(eve, (alice,))  # for the marker below
    typist, reader, outsider = alice.socket(("typing",)), bob.socket(("typing",)), eve.socket(("typing",))
    try:
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}
        assert typist.call("typing", {"conversation_id": group_id, "typing": True}) == {"ok": True, "sent": False}
        assert typist.call("typing", {"conversation_id": group_id, "typing": False}) == {"ok": True, "sent": True}
        assert typist.call("typing", {"conversation_id": group_id}) == {"ok": True, "sent": True}  # wait ended
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
