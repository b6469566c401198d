"""SESSION_POLICY=single through real browsers: a new login ends the user's other login sessions,
whose sockets hear `session:ended` ("signed_in_elsewhere") and are cut; the new one goes on."""
from __future__ import annotations

import threading

import pytest

from tests.integration.chat import create_group
from tests.servers import ChatUser, wait_for
from tests.settings.test_live_sessions import Browser, round_trip

pytestmark = pytest.mark.integration


def test_a_new_login_signs_the_older_browser_out_with_its_notice(presence_server):
    user = ChatUser.register(presence_server.url)
    group_id = create_group(user)
    laptop = Browser(presence_server, user.username)
    notices, cut = [], threading.Event()
    old_socket = laptop.socket()
    old_socket.on("session:ended", notices.append)
    old_socket.on("disconnect", lambda *reason: cut.set())
    token_socket = user.socket()  # a personal token is not a login session: it stays
    phone = Browser(presence_server, user.username)  # the second login
    try:
        wait_for(cut.is_set, timeout=10, what="the older browser's socket cut")
        assert notices == [{"reason": "signed_in_elsewhere"}]
        assert laptop.me() == 401  # its cookies sign nobody in any more
        assert phone.me() == 200
        round_trip(phone.socket(), group_id)
        assert token_socket.client.connected
        sessions = phone.api("GET", "/sessions").json()["sessions"]
        assert [one["current"] for one in sessions] == [True]
    finally:
        laptop.close()
        phone.close()
        token_socket.disconnect()
