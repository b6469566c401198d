"""Broadcasts: everyone (each user's Switchboard notices conversation), a group's members, one user."""
import re

import pytest

from actions import broadcasts
from actions.broadcasts import NOTICES_NAME, broadcast_to_everyone, deliver_broadcast, notices_key, send_notice
from actions.conversations import list_conversations
from actions.errors import Forbidden, InvalidInput, NotFound
from actions.messages import message_history, send_message
from actions.user_admin import deactivate_user
from extensions import db
from jobs import job_queue
from models import Conversation, User
from tests.admin.conftest import audit_entries
from tests.factories import make_group, make_user
from tests.helpers import events, names, run_queued_jobs


def notices_of(user) -> Conversation | None:
    db.session.expire_all()
    return db.session.execute(
        db.select(Conversation).where(Conversation.direct_key == notices_key(user.id))).scalar_one_or_none()


def test_everyone_gets_it_live_or_in_history(operator, operator_client, alice, bob, carol, socket_client_for):
    deactivate_user(operator, carol.id)
    socket = socket_client_for("alice")
    events(socket)
    response = operator_client.post("/admin/broadcast/", data={"audience": "everyone", "body": "Maintenance at 6"},
                                    follow_redirects=True)
    assert "Sending to 3 account(s)" in response.get_data(as_text=True)
    assert events(socket) == []  # the request only audits it and queues the job
    assert run_queued_jobs() == [deliver_broadcast.name]

    received = events(socket)
    assert names(received) == ["conversation:added", "message:new"]
    added, new = received[0][1]["conversation"], received[1][1]["message"]
    assert (added["title"], added["archived"]) == (NOTICES_NAME, True)
    # docs/protocol.md: the one direct conversation with a name and without a `peer`.
    assert (added["kind"], added["name"], added["avatar_url"], "peer" in added) == ("direct", NOTICES_NAME, None, False)
    assert (new["conversation_id"], new["kind"], new["sender"], new["body"]) == (
        added["id"], "system", None, "Maintenance at 6")
    # Bob was offline: it waits in his history, in his notices conversation.
    summary = [s for s in list_conversations(bob) if s.conversation.id == notices_of(bob).id][0]
    assert (summary.title, summary.unread_count, summary.last_message.body) == (NOTICES_NAME, 1, "Maintenance at 6")
    assert [m.body for m in message_history(bob, notices_of(bob).id).messages] == ["Maintenance at 6"]
    assert notices_of(carol) is None  # deactivated accounts get nothing
    [entry] = audit_entries("broadcast.everyone")
    assert (entry.actor_id, entry.after) == (operator.id, {"body": "Maintenance at 6", "recipients": 3})


def test_notices_conversation_is_reused_and_read_only(operator, alice):
    broadcast_to_everyone(operator, "one")
    run_queued_jobs()
    send_notice(operator, alice.id, "two")
    notices = notices_of(alice)
    assert [m.body for m in message_history(alice, notices.id).messages] == ["two", "one"]
    with pytest.raises(Forbidden) as refused:
        send_message(alice, notices.id, "can I answer?")
    assert refused.value.code == "conversation_archived"
    assert [e.action for e in audit_entries()] == ["broadcast.everyone", "broadcast.user"]


def test_to_one_user_by_username(operator, operator_client, bob, socket_client_for):
    socket = socket_client_for("bob")
    events(socket)
    operator_client.post("/admin/broadcast/", data={"audience": "user", "username": "Bob", "body": "Hi Bob"})
    assert [p["message"]["body"] for n, p in events(socket) if n == "message:new"] == ["Hi Bob"]
    [entry] = audit_entries("broadcast.user")
    assert (entry.target_type, entry.target_id) == ("user", bob.id)


def test_to_a_group(operator_client, alice, bob, carol, socket_client_for):
    group = make_group(alice, members=[bob])
    socket = socket_client_for("bob")
    events(socket)
    operator_client.post("/admin/broadcast/", data={"audience": "group", "group_id": str(group.id),
                                                     "body": "Be nice"})
    [new] = [p["message"] for n, p in events(socket) if n == "message:new"]
    assert (new["conversation_id"], new["kind"], new["body"]) == (group.id, "system", "Be nice")
    assert [m.body for m in message_history(alice, group.id).messages] == ["Be nice"]
    assert audit_entries("broadcast.group")[0].target_id == group.id


def test_bad_broadcasts_change_nothing(operator, operator_client, alice):
    from tests.helpers import database_rows

    before = database_rows()
    operator_client.post("/admin/broadcast/", data={"audience": "user", "username": "nobody", "body": "x"})
    operator_client.post("/admin/broadcast/", data={"audience": "group", "group_id": "999", "body": "x"})
    operator_client.post("/admin/broadcast/", data={"audience": "everyone", "body": ""})
    with pytest.raises(InvalidInput):
        broadcast_to_everyone(operator, "   ")
    with pytest.raises(NotFound):
        send_notice(operator, 999, "x")
    assert database_rows() == before
    assert job_queue().queued_count() == 0


def test_a_broadcast_to_everyone_goes_out_in_chunks_once_each(operator, alice, bob, carol, monkeypatch):
    monkeypatch.setattr(broadcasts, "BROADCAST_CHUNK", 2)
    broadcast_to_everyone(operator, "chunked")
    make_user("dave")  # joined after the broadcast: not part of its "everyone"
    assert run_queued_jobs() == [deliver_broadcast.name] * 2  # operator and alice, then bob and carol
    [entry] = audit_entries("broadcast.everyone")
    deliver_broadcast(entry.id, 0, entry.after["recipients"] + 1)  # run again, as after a retry: skips them all
    for user in (operator, alice, bob, carol):
        assert [m.body for m in message_history(user, notices_of(user).id).messages] == ["chunked"]
    assert notices_of(db.session.execute(db.select(User).where(User.username == "dave")).scalar_one()) is None



@pytest.mark.parametrize("app_settings", [{"MESSAGE_MAX_LENGTH": 5000}])
def test_the_broadcast_form_follows_message_max_length(operator_client, alice, bob):
    """The form has no limit of its own: the action's (check_message_body) is the only one."""
    from tests.helpers import database_rows

    def broadcast(body: str):
        return operator_client.post("/admin/broadcast/", data={"audience": "user", "username": "bob", "body": body},
                                    follow_redirects=True)

    before = database_rows()
    assert "body must be at most 5000 characters." in broadcast("x" * 5001).get_data(as_text=True)
    assert database_rows() == before
    assert broadcast("x" * 4500).status_code == 200
    [message] = message_history(bob, notices_of(bob).id).messages
    assert message.body == "x" * 4500


def the_form_as_shown(client, url: str = "/admin/broadcast/") -> dict:
    """The hidden fields of the broadcast page, as a browser would send them back."""
    page = client.get(url).get_data(as_text=True)
    return dict(re.findall(r'<input id="(\w+)" name="\1" type="hidden" value="([^"]*)"', page))


@pytest.mark.parametrize("audience", ["everyone", "group", "user"])
def test_the_same_form_sent_twice_is_one_broadcast(operator, operator_client, alice, bob, audience):
    """A double click, or the browser sending the form again: the second is refused, nothing sent twice."""
    group = make_group(alice, members=[bob])
    form = {**the_form_as_shown(operator_client), "audience": audience, "group_id": str(group.id),
            "username": "bob", "body": "Once only"}
    assert form["once"]
    first = operator_client.post("/admin/broadcast/", data=form)
    assert first.status_code == 302
    again = operator_client.post("/admin/broadcast/", data=form, follow_redirects=True)
    assert "This broadcast was sent already" in again.get_data(as_text=True)
    run_queued_jobs()
    assert len(audit_entries(f"broadcast.{audience}")) == 1
    where = group.id if audience == "group" else notices_of(bob).id
    assert [m.body for m in message_history(bob, where).messages] == ["Once only"]
    # A new page is a new form: the same text may be sent again on purpose.
    form["once"] = the_form_as_shown(operator_client)["once"]
    assert operator_client.post("/admin/broadcast/", data=form).status_code == 302
    run_queued_jobs()
    assert [m.body for m in message_history(bob, where).messages] == ["Once only", "Once only"]


def test_an_account_never_confirmed_is_not_everyone(operator, alice, bob):
    """An everyone-broadcast counted and posted to accounts whose address waits for its code, though a
    notice to one of them alone is refused (404 user_not_found, User.findable since 4b094fa) and they can
    read nothing: the operator was told more recipients than can read it, and each such account got a
    notices conversation the hourly purge then leaves behind without a member. Everyone is everyone
    findable, as a single notice's recipient."""
    waiting = make_user("waiting")
    waiting.confirmed_at = None
    db.session.commit()
    with pytest.raises(NotFound):
        send_notice(operator, waiting.id, "only you")
    queued = broadcast_to_everyone(operator, "Maintenance at 6")
    db.session.commit()
    assert queued.recipients == 3  # operator, alice, bob
    run_queued_jobs()
    assert notices_of(waiting) is None
    assert notices_of(alice) is not None
