"""The chat page through its server's outages, on two instances over PostgreSQL + Redis, the page on
the first. With Redis stopped the page shows that live updates are delayed; a message posted on the
second instance meanwhile cannot reach it live; when Redis is back the banner goes and the page
fetches that message by its resync (`delivery_status` "ok"). With its instance stopped (SIGTERM) and
started again, the page reconnects by itself and catches up."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, ChatPage
from tests.browser.helpers import assert_nothing_went_wrong, group_with, post
from tests.engines import PostgresServer, RedisServer
from tests.servers import ChatUser, RecordingSocket, start_instances, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.faults]


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory):
    postgres = PostgresServer().start()
    redis = RedisServer(tmp_path_factory.mktemp("delivery-redis")).start()
    instances = start_instances([tmp_path_factory.mktemp("delivery-1"), tmp_path_factory.mktemp("delivery-2")],
                                {"DATABASE_URL": postgres.url, "SOCKETIO_MESSAGE_QUEUE": redis.url}, jobs=False)
    yield instances, redis
    for instance in instances:
        instance.stop()
    if redis.process is not None:
        redis.stop()
    postgres.stop()


@dataclass
class GroupChat:
    chat: ChatPage  # alice's page, on the first instance, the group open
    bob: ChatUser  # the other member, through the second instance's API
    group_id: int


@pytest.fixture
def group_chat(browser, two_instances) -> Iterator[GroupChat]:
    (first, second), _redis = two_instances
    alice = ChatUser.register(first.url, f"a{uuid.uuid4().hex[:8]}", password=PASSWORD)
    bob = ChatUser.register(second.url, f"b{uuid.uuid4().hex[:8]}", password=PASSWORD)
    group = group_with(alice, bob)
    context = browser.new_context(viewport={"width": 1200, "height": 760})
    chat = ChatPage(context.new_page(), context, first.url)
    chat.watch()
    chat.log_in(alice.username)
    chat.open(group["id"])
    yield GroupChat(chat, bob, group["id"])
    context.close()


@pytest.fixture
def bob_socket(group_chat) -> Iterator[RecordingSocket]:
    """Bob's socket on the second instance."""
    socket = group_chat.bob.socket(("message:new", "delivery_status"))
    yield socket
    socket.disconnect()


def test_the_page_shows_degraded_delivery_and_catches_up_when_it_is_back(group_chat, bob_socket, two_instances):
    _instances, redis = two_instances
    chat, bob, group_id = group_chat.chat, group_chat.bob, group_chat.group_id
    post(bob, group_id, "before the outage")  # through the second instance, live through Redis
    expect(chat.message_with("before the outage")).to_be_visible()
    banner = chat.page.locator("#delivery-banner")
    expect(banner).to_be_hidden()

    redis.stop()
    expect(banner).to_be_visible()
    expect(banner).to_have_text("Live updates are delayed. Messages you send are still saved; others' will "
                                "appear when the server catches up.")
    chat.type_and_send("sent through the outage")  # the page's own sends are acknowledged meanwhile
    expect(chat.message_with("sent through the outage")).to_be_visible()
    post(bob, group_id, "while Redis is down")  # stored and answered; its frame reaches no other instance
    # The marker: the second instance, its bus degraded, gave the frame to its own sockets when its
    # publication failed; that was the frame's one delivery, so only the resync can bring it to the page.
    wait_for(lambda: {"state": "degraded"} in bob_socket.received["delivery_status"]
             and "while Redis is down" in [event["message"]["body"] for event in bob_socket.received["message:new"]],
             what="the second instance's own delivery of the message, its bus degraded")
    expect(chat.message_with("while Redis is down")).to_have_count(0)

    redis.start()
    expect(banner).to_be_hidden()
    expect(chat.message_with("while Redis is down")).to_be_visible()
    assert chat.shown_seqs() == [1, 2, 3]  # and no later message showed a gap: the "ok" brought it
    assert_nothing_went_wrong(chat)


def test_the_page_comes_back_by_itself_after_its_instance_restarts(group_chat, two_instances):
    """An instance stopped by SIGTERM ends the page's connection without a goodbye: socket.io in the page
    reconnects by itself once the instance is back, and resyncs what was sent meanwhile."""
    (first, _second), _redis = two_instances
    chat = group_chat.chat
    first.process.terminate()  # as systemd stops it
    chat.expect_state("reconnecting")
    first.process.wait(timeout=30)
    post(group_chat.bob, group_chat.group_id, "while the page's instance restarted")  # on the other instance
    first.log.close()
    first.process = None
    first.start()
    chat.expect_state("online")
    expect(chat.message_with("while the page's instance restarted")).to_be_visible()
    assert_nothing_went_wrong(chat)
