"""The core send path, through the actions."""
from actions.messages import send_message
from tests.factories import make_group


def test_send_numbers_messages_and_retry_returns_the_first(alice, bob):
    group = make_group(alice, members=[bob])
    first = send_message(alice, group.id, "hello", client_id="c-1")
    second = send_message(bob, group.id, "hi")
    retry = send_message(alice, group.id, "hello again?", client_id="c-1")
    assert (first.message.seq, second.message.seq) == (1, 2)
    assert retry.created is False and retry.message.id == first.message.id
    assert retry.message.body == "hello"
