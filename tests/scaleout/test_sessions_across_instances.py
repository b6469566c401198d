"""Ending a login session on one instance cuts its sockets on the other (SessionEnded travels on the
Redis bus): exactly that session's, while another session's socket there still round-trips."""
from __future__ import annotations

import pytest

from tests.integration.chat import create_group
from tests.servers import PASSWORD, Browser, ChatUser, cut, round_trip

pytestmark = pytest.mark.integration


def test_revoking_a_session_on_one_instance_cuts_its_socket_on_the_other(two_instances):
    first, second = two_instances
    user = ChatUser.register(first.url)
    group_id = create_group(user)
    laptop, phone = Browser(first, user.username), Browser(second, user.username)
    try:
        laptop_socket, phone_socket = laptop.socket(second.url), phone.socket(second.url)
        assert laptop.api("DELETE", f"/sessions/{phone.session_id()}").status_code == 200  # on the first
        assert cut(phone_socket)
        round_trip(laptop_socket, group_id)
        assert (phone.me(), laptop.me()) == (401, 200)
    finally:
        laptop.close()
        phone.close()


def test_a_password_change_on_one_instance_cuts_the_others_sockets_on_the_other(two_instances):
    first, second = two_instances
    user = ChatUser.register(first.url)
    group_id = create_group(user)
    mine, other = Browser(first, user.username), Browser(second, user.username)
    token_socket = user.on(second.url).socket()  # the registration's token
    try:
        my_socket, other_socket = mine.socket(second.url), other.socket(second.url)
        response = mine.post_form("/password", "/password", current_password=PASSWORD,
                                  new_password="a brand new secret", confirm="a brand new secret")
        assert response.status_code == 302
        assert cut(other_socket) and cut(token_socket.client)
        round_trip(my_socket, group_id)
    finally:
        mine.close()
        other.close()
        token_socket.disconnect()
