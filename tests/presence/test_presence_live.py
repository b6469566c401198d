"""Presence through real clients on gunicorn + gevent (in-process presence): online at a user's first
tab, offline only once the last one has been gone for the grace period (a reload says nothing),
told in `presence:batch` frames to the people who share a conversation with them and may see it,
and to nobody else; the REST and Socket.IO queries, and their refusals."""
from __future__ import annotations

import time

import pytest

from tests.integration.chat import create_group
from tests.presence.conftest import GRACE_SECONDS
from tests.servers import ChatUser, wait_for

pytestmark = pytest.mark.integration

LISTEN = ("presence:batch", "typing")


def stamped(socket, user_id: int) -> list[tuple[float, dict]]:
    """The presence entries about `user_id` a socket received, each with when it was received."""
    return [(at, entry) for at, entry in socket.stamped if entry["user_id"] == user_id]


def listen(user: ChatUser):
    socket = user.socket(LISTEN)
    socket.stamped = []
    socket.client.on("presence:batch", lambda data: socket.stamped.extend(
        (time.monotonic(), entry) for entry in data["users"]))
    return socket


def test_two_tabs_a_reload_and_the_last_tab_closing(presence_server):
    alice, bob, stranger = (ChatUser.register(presence_server.url) for _ in range(3))
    group_id = create_group(alice, (bob,))
    closing_later = ChatUser.register(presence_server.url)  # whose tab closes right after alice's
    create_group(closing_later, (bob,))
    watcher, outsider = listen(bob), listen(stranger)
    try:
        later_tab = closing_later.socket()
        first_tab = alice.socket()
        wait_for(lambda: stamped(watcher, alice.id), what="alice online")
        ((_, online),) = stamped(watcher, alice.id)
        assert online == {"user_id": alice.id, "visible": True, "online": True, "last_seen_at": online["last_seen_at"]}

        second_tab = alice.socket()
        first_tab.disconnect()  # one tab closes: alice is still online
        second_tab.disconnect()  # a reload: gone, and back well within the grace period
        reloaded = alice.socket()
        # A tab closed after hers goes offline after her grace period, in the same batch or a later one:
        # once that is told, anything her closed tabs could have told was too, and nothing was.
        later_tab.disconnect()
        wait_for(lambda: [entry for _, entry in stamped(watcher, closing_later.id) if entry["online"] is False],
                 what="the later tab's user offline")
        assert len(stamped(watcher, alice.id)) == 1
        closed_at = time.monotonic()
        reloaded.disconnect()
        wait_for(lambda: len(stamped(watcher, alice.id)) == 2, what="alice offline")
        (_, (offline_at, offline)) = stamped(watcher, alice.id)
        assert offline_at > closed_at + GRACE_SECONDS * 0.9  # only the last tab's close, after the grace
        assert offline["online"] is False and offline["last_seen_at"]

        # Someone who shares nothing with alice heard nothing: a later change about someone she does share
        # a conversation with reaches her socket after anything told to it before.
        assert stranger.api("GET", "/me").status_code == 200
        marker = ChatUser.register(presence_server.url)
        create_group(marker, (stranger,))
        shown = marker.socket()
        wait_for(lambda: stamped(outsider, marker.id), what="the marker online, at the stranger")
        shown.disconnect()
        assert stamped(outsider, alice.id) == []
        presence = bob.api("GET", f"/conversations/{group_id}/presence").json()
        assert presence["online_count"] == 1  # bob himself
        assert {entry["user_id"]: entry["online"] for entry in presence["presence"]} == {alice.id: False, bob.id: True}
    finally:
        watcher.disconnect()
        outsider.disconnect()


def test_hidden_last_seen_is_told_to_nobody(presence_server):
    carol, dave = ChatUser.register(presence_server.url), ChatUser.register(presence_server.url)
    create_group(carol, (dave,))
    assert carol.api("PUT", "/me/privacy", json={"last_seen": "nobody"}).status_code == 200
    watcher = listen(dave)
    try:
        hidden = carol.socket()
        marker = ChatUser.register(presence_server.url)
        create_group(marker, (dave,))
        shown = marker.socket()  # a visible change after carol's: dave hears it, never carol's
        wait_for(lambda: stamped(watcher, marker.id), what="the marker online")
        assert stamped(watcher, carol.id) == []
        answer = dave.api("GET", f"/presence?user_ids={carol.id},{marker.id}").json()["presence"]
        assert {entry["user_id"]: entry["visible"] for entry in answer} == {carol.id: False, marker.id: True}
        assert [entry["online"] for entry in answer if entry["user_id"] == carol.id] == [None]
        hidden.disconnect()
        shown.disconnect()
    finally:
        watcher.disconnect()


def test_hiding_last_seen_is_told_to_the_members_of_a_shared_group_too(presence_server):
    # Not only contacts saw carol online (through presence:batch): all who did must learn it is hidden
    # now, or their pages would show her last state for ever.
    carol, dave = ChatUser.register(presence_server.url), ChatUser.register(presence_server.url)
    create_group(carol, (dave,))
    watcher = dave.socket(("presence", "presence:batch"))
    carols = carol.socket()
    try:
        wait_for(lambda: any(entry["user_id"] == carol.id and entry["online"]
                             for batch in watcher.received["presence:batch"] for entry in batch["users"]),
                 what="carol online at dave's")
        assert carols.call("privacy:update", {"last_seen": "nobody"})["ok"]
        wait_for(lambda: watcher.received["presence"], what="the change at dave's")
        assert watcher.received["presence"] == [{"user_id": carol.id, "visible": False, "online": None,
                                                 "last_seen_at": None}]
    finally:
        carols.disconnect()
        watcher.disconnect()


def test_presence_queries_refuse_bad_input_and_strangers(presence_server):
    alice, bob, eve = (ChatUser.register(presence_server.url) for _ in range(3))
    group_id = create_group(alice, (bob,))
    assert eve.api("GET", f"/conversations/{group_id}/presence").status_code in (403, 404)
    for query in ("", "?user_ids=", "?user_ids=abc", "?user_ids=0", "?user_ids=" + ",".join(["1"] * 201)):
        response = alice.api("GET", "/presence" + query)
        assert response.status_code == 400 and response.json()["ok"] is False, (query, response.text)
    socket = alice.socket()
    try:
        assert socket.call("presence:query", {"user_ids": "1"})["error"]["code"] == "invalid_user_ids"
        assert socket.call("presence:query", {"user_ids": [bob.id, bob.id, 10**9]}) == {
            "ok": True, "presence": [{"user_id": bob.id, "visible": True, "online": False,
                                      "last_seen_at": None}]}
        refused = eve.socket()
        assert refused.call("conversation:presence", {"conversation_id": group_id})["ok"] is False
        refused.disconnect()
        answer = socket.call("conversation:presence", {"conversation_id": group_id})
        assert answer["ok"] and answer["online_count"] == 1
    finally:
        socket.disconnect()


def test_a_gateway_connection_is_one_of_the_users_connections(presence_server):
    from tests.gateway.client import GatewayClient

    alice, bob = ChatUser.register(presence_server.url), ChatUser.register(presence_server.url)
    create_group(alice, (bob,))
    watcher = listen(bob)
    client = GatewayClient(presence_server.url)
    try:
        assert client.login(alice.token, alice.id)["success"]
        wait_for(lambda: stamped(watcher, alice.id), what="alice online through the gateway")
        assert stamped(watcher, alice.id)[0][1]["online"] is True
        client.close()
        wait_for(lambda: len(stamped(watcher, alice.id)) == 2, what="alice offline")
        assert stamped(watcher, alice.id)[1][1]["online"] is False
    finally:
        client.close()
        watcher.disconnect()


def test_an_event_named_disconnect_is_refused_and_leaves_its_user_online(presence_server):
    """A client's event named "disconnect" ran the disconnect handler (python-socketio looks events up among
    its handlers by name): its socket counted as gone while it stayed open, and its user went offline."""
    alice, bob, marker = (ChatUser.register(presence_server.url) for _ in range(3))
    create_group(alice, (bob,))
    create_group(marker, (bob,))
    watcher = listen(bob)
    try:
        tab, marker_tab = alice.socket(), marker.socket()
        wait_for(lambda: stamped(watcher, alice.id) and stamped(watcher, marker.id), what="both online")
        assert tab.call("disconnect", "client disconnect")["error"]["code"] == "unknown_event"
        # The marker's tab closes after the event: once the marker is told offline, alice would have been too.
        marker_tab.disconnect()
        wait_for(lambda: [entry for _, entry in stamped(watcher, marker.id) if entry["online"] is False],
                 what="the marker offline")
        assert [entry["online"] for _, entry in stamped(watcher, alice.id)] == [True]
        tab.disconnect()
    finally:
        watcher.disconnect()
