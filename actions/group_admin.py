"""Operators manage groups: edit, archive, delete, and members and their roles.

Operators are not members, so they cannot use the owners' actions in actions.groups;
these variants make the same changes and publish the same events (membership notes included,
written as by "an operator"), and audit them. Deleting a group lives here for both: a group's
owner deletes it through the same path (delete_group_by_owner, start_group_deletion_unchecked),
so actions.groups never needs this module (which builds on it).
"""
from __future__ import annotations

from sqlalchemy import func

from actions.access import (
    access_group_for_owning,
    access_operator,
    check_group_open,
    get_group,
    hold_active_user,
)
from actions.audit import record, snapshot
from actions.errors import Conflict
from actions.group_notes import note_group_edit_unchecked
from actions.groups import (
    add_membership_unchecked,
    check_keeps_an_owner,
    find_membership,
    get_membership,
    hold_group,
    remove_membership_unchecked,
    tell_role_changed_unchecked,
)
from actions.profiles import forget_picture_on_commit
from actions.stored_objects import remove_stored_objects_on_commit
from actions.validation import check_choice, check_group_description, check_group_name
from events import atomic, queue_event
from events.facts import ConversationLeft, ConversationUpdated
from extensions import db
from jobs import enqueue_on_commit, job
from models import Attachment, Conversation, Membership, Message, User
from models.conversation import MEMBER_ROLES
from models.time import isoformat, utcnow

GROUP_FIELDS = ("name", "description", "visibility", "archived_at")
GROUP_PURGE_CHUNK = 500  # files, or messages, removed per transaction of purge_deleted_group


def member_counts(conversation_ids: list[int]) -> dict[int, int]:
    """How many members each of these conversations has."""
    if not conversation_ids:
        return {}
    return dict(db.session.execute(
        db.select(Membership.conversation_id, func.count(Membership.id))
        .where(Membership.conversation_id.in_(conversation_ids)).group_by(Membership.conversation_id)
    ).all())


def group_members(conversation_id: int) -> list[Membership]:
    """A group's members, owners first."""
    get_group(conversation_id)
    order = db.case({"owner": 0, "admin": 1}, value=Membership.role, else_=2)
    return list(db.session.execute(
        db.select(Membership).join(User, User.id == Membership.user_id)
        .where(Membership.conversation_id == conversation_id).order_by(order, User.username)
    ).scalars())


@atomic()
def edit_group(operator: User, conversation_id: int, name: str, description: str) -> Conversation:
    """Rename a group or change its description (the group held first, as update_group does: a rename
    beside an owner's or admin's to the same name finds it there)."""
    operator = access_operator(operator)
    hold_group(conversation_id)
    group = get_group(conversation_id)
    check_group_open(group)
    before = snapshot(group, GROUP_FIELDS)
    group.name = check_group_name(name)
    group.description = check_group_description(description)
    _record_group_change(operator, "group.edit", group, before)
    note_group_edit_unchecked(group, before["name"], before["description"], by=operator)
    return group


@atomic()
def set_group_archived(operator: User, conversation_id: int, archived: bool) -> Conversation:
    """Archive (read-only: members read, nobody posts, nothing changes, operators' changes included, as
    a Slack channel is until unarchived) or unarchive a group. One being deleted stays archived."""
    operator = access_operator(operator)
    hold_group(conversation_id)
    group = get_group(conversation_id)
    if archived == (group.archived_at is not None):
        return group
    if group.deleting_at is not None:
        raise Conflict("group_deleting", "This group is being deleted: it cannot be unarchived.")
    before = snapshot(group, GROUP_FIELDS)
    group.archived_at = utcnow() if archived else None
    return _record_group_change(operator, "group.archive" if archived else "group.unarchive", group, before)


@atomic()
def delete_group(operator: User, conversation_id: int) -> None:
    """Delete a group: audited and archived at once (nobody posts any more), then a job removes
    its files, messages and members; members' pages drop it when that is done."""
    operator = access_operator(operator)
    hold_group(conversation_id)  # two deletions at once: the second finds the first's deleting_at
    group = get_group(conversation_id)
    if group.deleting_at is not None:
        return  # its deletion is under way (its owner's, or a second click): recorded and queued once
    member_ids = [membership.user_id for membership in group.memberships]
    record(operator, "group.delete", "group", group.id,
           {**snapshot(group, GROUP_FIELDS), "member_ids": member_ids, "message_count": group.last_seq}, None)
    start_group_deletion_unchecked(group)


@atomic()
def delete_group_by_owner(actor: User, conversation_id: int) -> None:
    """An owner deletes the group, as an operator would (archived at once, then removed by a
    job), without an audit entry: it was theirs to delete. A second deletion (theirs, an operator's)
    changes nothing: 202 all the same, no second job."""
    hold_group(conversation_id)
    access_group_for_owning(actor, conversation_id)
    start_group_deletion_unchecked(get_group(conversation_id))


def start_group_deletion_unchecked(group: Conversation) -> None:
    """Archive the group at once (nobody posts any more; members hear `conversation:updated`) and
    queue the job that removes it, once: a group being deleted already (`deleting_at`) is left as it is.
    Decides nothing: operators and owners are checked by their callers, who hold the group."""
    if group.deleting_at is not None:
        return
    group.deleting_at = utcnow()
    if group.archived_at is None:
        group.archived_at = utcnow()
        queue_event(ConversationUpdated(group.id))
    enqueue_on_commit(purge_deleted_group, group.id, isoformat(group.created_at))


@job()
def purge_deleted_group(conversation_id: int, created_at: str) -> None:
    """Job: remove a deleted group, GROUP_PURGE_CHUNK files or messages per transaction (each run
    queues the next), then the group and its memberships. Safe to run twice: a group that is
    gone is left alone, and `created_at` tells it from another under the same id (SQLite gave a
    deleted group's id again before migration 0018; a run queued then may still come)."""
    group = db.session.get(Conversation, conversation_id)
    if group is None or isoformat(group.created_at) != created_at:
        return
    if _remove_group_files(group.id) or _remove_group_messages(group.id):
        enqueue_on_commit(purge_deleted_group, conversation_id, created_at)
        return
    member_ids = [membership.user_id for membership in group.memberships]
    forget_picture_on_commit(group)
    db.session.delete(group)
    for user_id in member_ids:
        queue_event(ConversationLeft(user_id, conversation_id, "deleted"))


def _remove_group_files(conversation_id: int) -> int:
    """The next files of a deleted group leave storage (after the commit); no message event:
    the whole group is going."""
    attachments = list(db.session.execute(
        db.select(Attachment).where(Attachment.conversation_id == conversation_id, Attachment.status != "deleted")
        .order_by(Attachment.id).limit(GROUP_PURGE_CHUNK)
    ).scalars())
    for attachment in attachments:
        attachment.status = "deleted"
        remove_stored_objects_on_commit(attachment)
    return len(attachments)


def _remove_group_messages(conversation_id: int) -> int:
    message_ids = list(db.session.execute(
        db.select(Message.id).where(Message.conversation_id == conversation_id).order_by(Message.id)
        .limit(GROUP_PURGE_CHUNK)
    ).scalars())
    if message_ids:  # their reports go with them (ON DELETE CASCADE)
        db.session.execute(db.delete(Message).where(Message.id.in_(message_ids))
                           .execution_options(synchronize_session=False))
    return len(message_ids)


@atomic()
def add_group_member(operator: User, conversation_id: int, user_id: int) -> Membership:
    """Add an active user to a group as a member (as its owner if it has none: its last member left)."""
    operator = access_operator(operator)
    hold_group(conversation_id, adding=user_id)
    group = get_group(conversation_id)
    check_group_open(group)
    user = hold_active_user(user_id)
    if find_membership(conversation_id, user.id) is not None:
        raise Conflict("already_a_member", "That user is already a member.")
    membership = add_membership_unchecked(group, user.id, actor=None, by=operator)  # its owner if it had none
    record(operator, "group.add_member", "group", group.id, None, {"user_id": user.id, "role": membership.role})
    return membership


@atomic()
def remove_group_member(operator: User, conversation_id: int, user_id: int) -> None:
    """Remove anyone from a group; the last owner's place passes on as when they leave."""
    operator = access_operator(operator)
    hold_group(conversation_id)
    check_group_open(get_group(conversation_id))
    membership = get_membership(conversation_id, user_id)
    record(operator, "group.remove_member", "group", conversation_id,
           {"user_id": user_id, "role": membership.role}, None)
    remove_membership_unchecked(membership, reason="removed", by=operator)


@atomic()
def set_group_member_role(operator: User, conversation_id: int, user_id: int, role: str) -> Membership:
    """Make a member owner, admin or member; a group keeps at least one owner."""
    operator = access_operator(operator)
    role = check_choice(role, "role", MEMBER_ROLES)
    hold_group(conversation_id)
    check_group_open(get_group(conversation_id))
    membership = get_membership(conversation_id, user_id)
    if membership.role == role:
        return membership
    check_keeps_an_owner(membership, role)
    record(operator, "group.set_member_role", "group", conversation_id,
           {"user_id": user_id, "role": membership.role}, {"user_id": user_id, "role": role})
    membership.role = role
    tell_role_changed_unchecked(membership, by=operator)
    return membership


def _record_group_change(operator: User, action: str, group: Conversation, before: dict) -> Conversation:
    if record(operator, action, "group", group.id, before, snapshot(group, GROUP_FIELDS)) is not None:
        queue_event(ConversationUpdated(group.id))  # none for a form saved unchanged: nothing changed
    return group
