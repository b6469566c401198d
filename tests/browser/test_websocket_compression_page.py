"""Chromium offers permessage-deflate, as every browser does: on the chat page it is answered as
WEBSOCKET_COMPRESSION's default says (no context takeover either way), and short messages (sent as
they are) and long ones (compressed once for all their recipients) reach the other page, each once."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import assert_nothing_went_wrong, group_with, open_as

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LONG = ("A long message, compressed once for everyone who reads it. " * 30).strip()  # 1,769 characters


def test_chromium_negotiates_compression_and_short_and_long_messages_arrive(chat_page, api_user):
    alice_account, bob_account = api_user("al"), api_user("bob")
    group = group_with(alice_account, bob_account)["id"]
    bob = chat_page()
    answers: list[dict] = []  # the handshake answers of the page's websockets, as Chromium saw them
    devtools = bob.context.new_cdp_session(bob.page)
    devtools.on("Network.webSocketHandshakeResponseReceived", lambda event: answers.append(
        {name.lower(): value for name, value in event["response"]["headers"].items()}))
    devtools.send("Network.enable")
    bob.log_in(bob_account.username)
    bob.open(group)
    alice = open_as(chat_page, alice_account, group)

    for body in ("short and sent as it is", LONG):
        alice.type_and_send(body)
        expect(bob.message_with(body)).to_have_count(1)
        expect(alice.message_with(body)).to_have_count(1)
    extensions = [answer.get("sec-websocket-extensions", "") for answer in answers]
    assert extensions and all(value.startswith("permessage-deflate") and "server_no_context_takeover" in value
                              and "client_no_context_takeover" in value for value in extensions), extensions
    assert_nothing_went_wrong(alice, bob)
