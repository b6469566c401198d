"""Groups panel and actions.group_admin: edits, archive, delete and members, with events and audit entries."""
import re

import pytest

from actions import group_admin
from actions.errors import Conflict, Forbidden
from actions.group_admin import delete_group, purge_deleted_group, remove_group_member, set_group_member_role
from actions.messages import send_message
from extensions import db
from models import Conversation, Membership, Message
from models.time import isoformat
from tests.admin.conftest import audit_entries, reload
from tests.factories import make_group
from tests.helpers import events, names, run_queued_jobs, wait_for_events


def roles(group) -> dict[str, str]:
    db.session.expire_all()
    return {m.user.username: m.role for m in Membership.query.filter_by(conversation_id=group.id)}


def test_list_shows_member_counts_and_searches_names(operator_client, alice, bob, carol):
    make_group(alice, "Gardening", members=[bob, carol])
    make_group(bob, "Chess")
    page = operator_client.get("/admin/group/?search=garden").get_data(as_text=True)
    assert "Gardening" in page and "Chess" not in page
    assert re.findall(r'<td class="col-members">\s*(\d+)\s*</td>', page) == ["3"]


def test_edit_renames_and_tells_members(operator, operator_client, alice, socket_client_for):
    group = make_group(alice, "General")
    socket = socket_client_for("alice")
    events(socket)
    response = operator_client.post(f"/admin/group/edit/?id={group.id}", data={"name": "Lobby", "description": "hi"})
    assert response.status_code == 302
    assert (reload(group).name, reload(group).description) == ("Lobby", "hi")
    received = events(socket)
    assert names(received) == ["conversation:updated", "message:new", "message:new"]
    assert received[0][1]["conversation"]["name"] == "Lobby"
    # Membership notes, by "an operator" (actions.group_notes).
    assert [message["message"]["body"] for _, message in received[1:]] == [
        "An operator renamed the group to “Lobby”", "An operator changed the group's description"]
    [entry] = audit_entries("group.edit")
    assert (entry.before["name"], entry.after["name"], entry.actor_id) == ("General", "Lobby", operator.id)


def test_archive_makes_a_group_read_only_and_unarchive_undoes_it(operator_client, alice, bob):
    group = make_group(alice, members=[bob])
    send_message(bob, group.id, "before")
    operator_client.post(f"/admin/group/archive/{group.id}/on")
    assert reload(group).archived_at is not None
    with pytest.raises(Forbidden) as refused:
        send_message(bob, group.id, "after")
    assert refused.value.code == "conversation_archived"
    assert bob.id in {m.user_id for m in reload(group).memberships}  # members keep reading
    operator_client.post("/admin/group/action/", data={"action": "unarchive", "rowid": [str(group.id)]})
    assert reload(group).archived_at is None
    send_message(bob, group.id, "after")
    assert [e.action for e in audit_entries()] == ["group.archive", "group.unarchive"]


def test_delete_removes_the_group_and_its_messages_and_tells_members(operator_client, alice, bob, socket_client_for):
    group_id = make_group(alice, members=[bob]).id
    send_message(alice, group_id, "bye")
    socket = socket_client_for("bob")
    events(socket)
    response = operator_client.post("/admin/group/delete/", data={"id": str(group_id)})
    assert response.status_code == 302
    # The request archives it (nobody posts any more) and queues the job that removes it.
    assert names(events(socket)) == ["conversation:updated"]
    assert reload(db.session.get(Conversation, group_id)).archived_at is not None
    assert run_queued_jobs() == [purge_deleted_group.name] * 2  # its message, then the group
    db.session.expire_all()
    assert db.session.get(Conversation, group_id) is None
    assert Message.query.filter_by(conversation_id=group_id).count() == 0
    received = events(socket)
    assert ("conversation:removed", {"conversation_id": group_id, "reason": "deleted"}) in received
    [entry] = audit_entries("group.delete")
    assert entry.before["name"] == "General" and sorted(entry.before["member_ids"]) == sorted([alice.id, bob.id])


def test_a_group_deleted_twice_before_its_job_ran_is_recorded_and_removed_once(operator_client, alice, bob):
    """The group stays listed (archived) until its job removes it: a second Delete meanwhile (a double click,
    another operator) records no second entry and queues no second job."""
    group_id = make_group(alice, members=[bob]).id
    send_message(alice, group_id, "bye")
    for _ in range(2):
        assert operator_client.post("/admin/group/delete/", data={"id": str(group_id)}).status_code == 302
    assert len(audit_entries("group.delete")) == 1
    assert run_queued_jobs() == [purge_deleted_group.name] * 2  # its message, then the group: once
    assert db.session.get(Conversation, group_id) is None


def test_a_large_group_is_removed_in_several_transactions_and_a_second_run_changes_nothing(
        operator, alice, bob, monkeypatch):
    monkeypatch.setattr(group_admin, "GROUP_PURGE_CHUNK", 2)
    group = make_group(alice, members=[bob])
    for number in range(5):
        send_message(alice, group.id, f"message {number}")
    group_id, created_at = group.id, isoformat(group.created_at)
    delete_group(operator, group_id)
    assert run_queued_jobs() == [purge_deleted_group.name] * 4  # 2 + 2 + 1 messages, then the group
    assert db.session.get(Conversation, group_id) is None
    later = make_group(alice, "Later")
    assert later.id != group_id  # ids are never given twice (migration 0018)
    purge_deleted_group(group_id, created_at)  # a retry of the last run
    purge_deleted_group(later.id, created_at)  # a run naming another group's id: created_at tells them apart
    assert reload(later) is not None and Message.query.count() == 0


def test_members_added_removed_and_given_roles(operator_client, alice, bob, carol, socket_client_for):
    group = make_group(alice, members=[bob])
    carol_socket = socket_client_for("carol")
    events(carol_socket)

    operator_client.post(f"/admin/group/members/{group.id}/add", data={"username": "Carol"})
    assert roles(group) == {"alice": "owner", "bob": "member", "carol": "member"}
    assert "conversation:added" in names(events(carol_socket))

    operator_client.post(f"/admin/group/members/{group.id}/{bob.id}/role", data={"role": "owner"})
    operator_client.post(f"/admin/group/members/{group.id}/{alice.id}/role", data={"role": "admin"})
    assert roles(group) == {"alice": "admin", "bob": "owner", "carol": "member"}

    operator_client.post(f"/admin/group/members/{group.id}/{carol.id}/remove")
    assert roles(group) == {"alice": "admin", "bob": "owner"}
    assert "conversation:removed" in names(wait_for_events(carol_socket, 1))

    assert [(e.action, e.before, e.after) for e in audit_entries()] == [
        ("group.add_member", None, {"user_id": carol.id, "role": "member"}),
        ("group.set_member_role", {"user_id": bob.id, "role": "member"}, {"user_id": bob.id, "role": "owner"}),
        ("group.set_member_role", {"user_id": alice.id, "role": "owner"}, {"user_id": alice.id, "role": "admin"}),
        ("group.remove_member", {"user_id": carol.id, "role": "member"}, None),
    ]


def test_an_operators_own_changes_in_a_group_they_are_in_are_not_unread_to_them(operator, alice, bob, carol):
    """The notes of an operator's changes name nobody (`actor_id` null), and counted unread for the operator too
    when a member, where an owner's own notes never are (Slack: what you do yourself never makes a channel
    unread). Now the operator's read position passes them, as an actor's does; the others still have them
    unread."""
    from actions.conversations import conversation_summary

    group = make_group(alice, members=[bob, operator])
    unread = {user.username: conversation_summary(user, group.id).unread_count for user in (operator, bob)}
    group_admin.set_group_member_role(operator, group.id, bob.id, "admin")
    group_admin.edit_group(operator, group.id, "Renamed", "Described")  # two notes
    group_admin.add_group_member(operator, group.id, carol.id)
    group_admin.remove_group_member(operator, group.id, carol.id)
    db.session.expire_all()
    notes = db.session.execute(db.select(Message.system_event).where(Message.conversation_id == group.id,
                                                                      Message.kind == "system")).scalars().all()
    assert sum('"actor_id":null' in note for note in notes) == 5  # written as an operator's, as before
    assert conversation_summary(operator, group.id).unread_count == unread["operator"] == 0
    assert conversation_summary(bob, group.id).unread_count == unread["bob"] + 5


def test_the_last_owner_stays_unless_another_is_appointed(operator, alice, bob):
    group = make_group(alice, members=[bob])
    with pytest.raises(Conflict) as refused:
        set_group_member_role(operator, group.id, alice.id, "member")
    assert refused.value.code == "last_owner" and roles(group)["alice"] == "owner"
    remove_group_member(operator, group.id, alice.id)  # removing them passes ownership on, as leaving does
    assert roles(group) == {"bob": "owner"}
    assert [e.action for e in audit_entries()] == ["group.remove_member"]


def test_direct_chats_are_not_groups(operator_client, alice, bob):
    from actions.direct import open_direct_conversation

    direct = open_direct_conversation(alice, bob.id).conversation
    assert operator_client.get(f"/admin/group/members/?id={direct.id}").status_code == 302
    assert "No such group" in operator_client.get("/admin/group/").get_data(as_text=True)
    operator_client.post("/admin/group/delete/", data={"id": str(direct.id)})
    assert reload(direct) is not None and audit_entries() == []


def test_a_group_being_deleted_shows_so_on_its_members_page_and_offers_no_unarchive(operator_client, alice, bob):
    group_id = make_group(alice, members=[bob]).id
    page = operator_client.get(f"/admin/group/members/?id={group_id}").get_data(as_text=True)
    assert "being deleted" not in page
    operator_client.post(f"/admin/group/archive/{group_id}/on")
    page = operator_client.get(f"/admin/group/members/?id={group_id}").get_data(as_text=True)
    assert f"/admin/group/archive/{group_id}/off" in page and "Read-only: unarchive it" in page
    assert operator_client.post("/admin/group/delete/", data={"id": str(group_id)}).status_code == 302
    page = operator_client.get(f"/admin/group/members/?id={group_id}").get_data(as_text=True)
    assert "being deleted since" in page and f"/admin/group/archive/{group_id}/off" not in page


def test_bulk_archive_and_unarchive_count_only_the_groups_they_changed(operator_client, alice):
    """A group already archived (or not archived) is left as it is: the notice does not count it."""
    archived, other = make_group(alice, "One"), make_group(alice, "Two")
    operator_client.post(f"/admin/group/archive/{archived.id}/on")
    rowid = [str(archived.id), str(other.id)]
    page = operator_client.post("/admin/group/action/", follow_redirects=True,
                                data={"action": "archive", "rowid": rowid}).get_data(as_text=True)
    assert "1 group(s) archived." in page and "2 group(s) archived." not in page
    operator_client.post(f"/admin/group/archive/{other.id}/off")
    page = operator_client.post("/admin/group/action/", follow_redirects=True,
                                data={"action": "unarchive", "rowid": rowid}).get_data(as_text=True)
    assert "1 group(s) unarchived." in page and "2 group(s) unarchived." not in page
    assert reload(archived).archived_at is None and reload(other).archived_at is None
