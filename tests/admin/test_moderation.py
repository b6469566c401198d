"""Messages panel and actions.moderation: hide, unhide, delete, sweeps; live events and audit entries."""
from datetime import timedelta

import pytest

from actions.errors import Conflict, InvalidInput
from actions.messages import delete_message, message_history, send_message
from actions.moderation import hide_message, hide_recent_messages, message_context, unhide_message
from extensions import db
from models import Message
from tests.admin.conftest import audit_entries, reload
from tests.factories import make_group
from tests.helpers import events


@pytest.fixture
def chat(alice, bob, carol):
    group = make_group(alice, members=[bob, carol])
    messages = [send_message(sender, group.id, f"message {n}").message
                for n, sender in enumerate([alice, bob, carol, bob, alice], start=1)]
    return group, messages


def bulk(operator_client, action: str, messages: list[Message]) -> str:
    """The Messages list's bulk `action` ("hide", "unhide", "delete") on `messages`, ticked: the page it leads to."""
    return operator_client.post("/admin/message/action/", follow_redirects=True, data={
        "action": action, "rowid": [str(message.id) for message in messages]}).get_data(as_text=True)


def assert_bulk_counts_one(operator_client, action: str, messages: list[Message], done: str) -> None:
    """The bulk `action` on two messages, one of which it leaves as it is: its notice counts the other only."""
    page = bulk(operator_client, action, messages)
    assert f"1 message(s) {done}." in page and f"2 message(s) {done}." not in page


def updates(socket) -> list[dict]:
    return [payload["message"] for name, payload in events(socket) if name == "message:updated"]


def test_hide_retracts_the_message_from_open_pages_and_history(operator, operator_client, chat, alice,
                                                               socket_client_for):
    group, messages = chat
    socket = socket_client_for("alice")
    events(socket)
    target = messages[1]
    revision_before = target.revision
    bulk(operator_client, "hide", [target])

    [update] = updates(socket)
    assert (update["id"], update["removed"], update["removed_by"], update["body"]) == (
        target.id, True, "moderator", "")
    assert update["revision"] > revision_before
    in_history = {m.id: m for m in message_history(alice, group.id).messages}[target.id]
    assert in_history.hidden_at is not None and reload(target).hidden_by_id == operator.id
    [entry] = audit_entries("message.hide")
    assert (entry.target_type, entry.target_id, entry.before["hidden"], entry.after["hidden"]) == (
        "message", target.id, False, True)
    assert "message 2" not in str(entry.before) + str(entry.after)  # the log keeps no copy of the text


def test_unhide_shows_it_again(operator, operator_client, chat, socket_client_for):
    _, messages = chat
    operator_client.post(f"/admin/message/moderate/{messages[0].id}/hide")
    socket = socket_client_for("bob")
    events(socket)
    bulk(operator_client, "unhide", [messages[0]])
    [update] = updates(socket)
    assert (update["removed"], update["body"]) == (False, "message 1")
    assert reload(messages[0]).hidden_at is None
    assert [e.action for e in audit_entries()] == ["message.hide", "message.unhide"]


def test_unhide_refuses_a_message_its_author_deleted(operator, operator_client, chat, socket_client_for):
    """The author deleted it: "shown again" would be untrue (it stays removed), so the operator is told why."""
    from actions.messages import delete_message

    _, messages = chat
    delete_message(messages[1].sender, messages[1].id)
    socket = socket_client_for("alice")
    events(socket)
    before = audit_entries()
    operator_client.post(f"/admin/message/moderate/{messages[1].id}/unhide")
    page = operator_client.get(f"/admin/message/context/?id={messages[1].id}").get_data(as_text=True)
    assert "This message was deleted; it cannot be shown again." in page and "Message shown again." not in page
    with pytest.raises(Conflict) as refused:
        unhide_message(operator, messages[1].id)
    assert refused.value.code == "message_deleted"
    assert updates(socket) == [] and audit_entries() == before


def test_a_message_its_author_deleted_offers_no_hide_and_once_erased_no_delete(operator_client, chat):
    """Hiding a message its author deleted changes nothing (it stays deleted by its author), so its context
    page offers no Hide, which flashed "Message hidden."; Delete erases its text, and once erased it is
    offered no more (the page offered it again and again: the message was never hidden)."""
    from actions.messages import delete_message

    _, messages = chat
    target = messages[1]
    delete_message(target.sender, target.id)
    context = f"/admin/message/context/?id={target.id}"
    page = operator_client.get(context).get_data(as_text=True)
    assert f"/moderate/{target.id}/hide" not in page and f"/moderate/{target.id}/delete" in page
    operator_client.post(f"/admin/message/moderate/{target.id}/delete")
    assert reload(target).body == "" and reload(target).hidden_at is None
    page = operator_client.get(context).get_data(as_text=True)
    assert f"/moderate/{target.id}/hide" not in page and f"/moderate/{target.id}/delete" not in page
    assert f"/moderate/{messages[2].id}/hide" in page and f"/moderate/{messages[2].id}/delete" in page


def test_bulk_hide_counts_only_what_it_hid(operator_client, chat, bob):
    """A message its author deleted is left as it is by Hide: the notice does not count it as hidden."""
    _, messages = chat
    delete_message(bob, messages[1].id)
    assert_bulk_counts_one(operator_client, "hide", messages[:2], "hidden")
    assert reload(messages[1]).hidden_at is None


def test_a_bad_return_focus_hides_nothing_and_flashes_no_success(operator_client, chat):
    """`?focus=` (the context page the button was on) that is not an id: 400 invalid_focus, the request rolled
    back, and no "Message hidden." waiting on the next page for a message that was not hidden."""
    _, messages = chat
    response = operator_client.post(f"/admin/message/moderate/{messages[0].id}/hide?focus=abc")
    assert (response.status_code, response.json["error"]["code"]) == (400, "invalid_focus")
    assert reload(messages[0]).hidden_at is None and audit_entries() == []
    assert "Message hidden." not in operator_client.get("/admin/message/").get_data(as_text=True)


def test_delete_erases_the_text_for_good(operator, operator_client, chat, socket_client_for):
    _, messages = chat
    socket = socket_client_for("carol")
    events(socket)
    operator_client.post("/admin/message/delete/", data={"id": str(messages[2].id)})
    message = reload(messages[2])
    assert (message.body, message.hidden_at is not None, message.deleted_at is not None) == ("", True, True)
    [update] = updates(socket)
    assert update["removed_by"] == "moderator"
    with pytest.raises(Conflict):
        unhide_message(operator, message.id)
    [entry] = audit_entries("message.delete")
    assert entry.before["body_length"] == len("message 3") and entry.after["deleted"] is True


def test_bulk_delete_goes_through_the_action(operator_client, chat):
    _, messages = chat
    bulk(operator_client, "delete", messages[:2])
    db.session.expire_all()
    assert Message.query.count() == 5  # places are kept, only the text goes
    assert [reload(m).body for m in messages[:2]] == ["", ""]
    assert len(audit_entries("message.delete")) == 2


def test_hide_recent_messages_of_a_sender(operator, chat, bob):
    group, messages = chat
    old = send_message(bob, group.id, "long ago").message
    old.created_at = old.created_at - timedelta(hours=30)
    db.session.commit()
    hidden = hide_recent_messages(operator, bob.id, 24)
    assert sorted(m.id for m in hidden) == sorted([messages[1].id, messages[3].id])
    assert reload(old).hidden_at is None and reload(messages[0]).hidden_at is None
    assert len(audit_entries("message.hide")) == 2
    with pytest.raises(InvalidInput):
        hide_recent_messages(operator, bob.id, 0)


def test_context_is_the_messages_around(chat):
    _, messages = chat
    context = message_context(messages[2].id, around=2)
    assert ([m.id for m in context.before], [m.id for m in context.after]) == (
        [messages[1].id], [messages[3].id])


def test_filters_and_search(operator_client, chat):
    group, messages = chat
    operator_client.post(f"/admin/message/moderate/{messages[1].id}/hide")

    def listed(query: str) -> set[str]:
        page = operator_client.get("/admin/message/?" + query).get_data(as_text=True)
        return {f"message {n}" for n in range(1, 6) if f"message {n}<" in page or f"message {n}\n" in page}

    assert listed("search=message+3") == {"message 3"}
    assert listed("flt0_hidden_is=1") == {"message 2"}
    assert listed("flt0_sender_contains=carol") == {"message 3"}
    assert listed("flt0_text_contains=message+5") == {"message 5"}
    assert listed(f"flt0_conversation_equals={group.id}") == {f"message {n}" for n in range(1, 6)}
    assert listed(f"flt0_conversation_equals={group.id + 1}") == set()
    assert listed("flt0_kind_equals=text") == {f"message {n}" for n in range(1, 6)}
    assert listed("flt0_kind_equals=system") == set()
    old = reload(messages[0])
    old.created_at = old.created_at - timedelta(days=3)
    db.session.commit()
    day = old.created_at.strftime("%Y-%m-%d")
    assert listed(f"flt0_sent_between={day}+00:00:00+to+{day}+23:59:59") == {"message 1"}


def test_context_page_and_one_click_moderation(operator_client, chat):
    _, messages = chat
    page = operator_client.get(f"/admin/message/context/?id={messages[2].id}").get_data(as_text=True)
    assert all(f"message {n}" in page for n in range(1, 6))
    response = operator_client.post(f"/admin/message/moderate/{messages[3].id}/hide?focus={messages[2].id}")
    assert response.headers["Location"].endswith(f"/admin/message/context/?id={messages[2].id}")
    assert reload(messages[3]).hidden_at is not None
    assert operator_client.post(f"/admin/message/moderate/{messages[3].id}/explode").status_code == 404


def test_bulk_unhide_counts_only_what_it_showed_again(operator, operator_client, chat):
    """A message that was not hidden is left as it is by Unhide: the notice does not count it."""
    _, messages = chat
    hide_message(operator, messages[0].id)
    assert_bulk_counts_one(operator_client, "unhide", messages[:2], "unhidden")
    assert reload(messages[0]).hidden_at is None
