"""SESSION_POLICY=single across two instances (a shared database, Redis between them): a page login on
one instance closes the user's gateway connection on the other, and a gateway login on one signs out
the page whose socket is on the other (the facts travel on the Redis bus)."""
from __future__ import annotations

import pytest

from tests.gateway.client import MESSAGE, PUSH, SEND, GatewayClient
from tests.presence.test_session_policy import closed_notice, logged_in_page
from tests.servers import Browser, instances_over_redis, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def single_policy_instances(tmp_path_factory):
    yield from instances_over_redis(tmp_path_factory, "policy", {"SESSION_POLICY": "single"})


def test_a_page_login_here_closes_the_gateway_connection_there(single_policy_instances):
    first, second = single_policy_instances
    user, _, laptop, _, _ = logged_in_page(first)
    gateway = GatewayClient(second.url)
    phone = None
    try:
        assert gateway.login(user.token, user.id)["success"] is True  # on the second: signs the laptop out
        wait_for(lambda: laptop.me() == 401, what="the first page signed out")
        phone = Browser(first, user.username)  # a page login on the first: the gateway on the second closes
        assert closed_notice(gateway)["errorCode"] == "signed_in_elsewhere"
        assert gateway.wait_closed().code == 1008
        assert phone.me() == 200
    finally:
        gateway.close()
        laptop.close()
        if phone is not None:
            phone.close()


def test_a_gateway_login_here_cuts_the_page_socket_there(single_policy_instances):
    first, second = single_policy_instances
    user, group_id, laptop, notices, cut = logged_in_page(second)  # its socket is on the second instance
    gateway = GatewayClient(first.url)
    try:
        assert gateway.login(user.token, user.id)["success"] is True
        wait_for(cut.is_set, timeout=10, what="the page's socket on the other instance cut")
        assert notices == [{"reason": "signed_in_elsewhere"}]
        assert laptop.me() == 401
        # The new connection goes on: a send answered after the cut is the marker on its channel.
        gateway.send(SEND, {"chatId": str(group_id), "contentType": 0, "content": "still here", "hasBeenSentId": "g1"})
        assert gateway.response(MESSAGE, hasBeenSentId="g1")["success"] is True
        assert gateway.closed is None
        assert not [body for command, body in gateway.received if command == PUSH and body.get("type") == "closed"]
    finally:
        gateway.close()
        laptop.close()
