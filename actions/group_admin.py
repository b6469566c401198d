"""Operators manage groups: edit, archive, delete, and members and their roles.

Operators are not members, so they cannot use the owners' actions in actions.groups;
these variants make the same changes and publish the same events, and audit them.
"""
from __future__ import annotations

from sqlalchemy import func

from actions.access import access_operator, get_active_user, get_group
from actions.audit import record, snapshot
from actions.errors import Conflict, NotFound
from actions.file_admin import delete_file, live_file_ids
from actions.groups import add_membership_unchecked, find_membership, owner_count, remove_membership_unchecked
from actions.validation import check_choice, check_string
from events import atomic, queue_event
from events.facts import ConversationLeft, ConversationUpdated, MemberRoleChanged
from extensions import db
from models import Conversation, Membership, User
from models.conversation import MEMBER_ROLES
from models.time import utcnow

GROUP_FIELDS = ("name", "description", "visibility", "archived_at")


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
    """Rename a group or change its description."""
    operator = access_operator(operator)
    group = get_group(conversation_id)
    before = snapshot(group, GROUP_FIELDS)
    group.name = check_string(name, "name", max_length=80)
    group.description = check_string(description, "description", max_length=1000, required=False)
    return _record_group_change(operator, "group.edit", group, before)


@atomic()
def set_group_archived(operator: User, conversation_id: int, archived: bool) -> Conversation:
    """Archive (read-only: members read, nobody posts) or unarchive a group."""
    operator = access_operator(operator)
    group = get_group(conversation_id)
    if archived == (group.archived_at is not None):
        return group
    before = snapshot(group, GROUP_FIELDS)
    group.archived_at = utcnow() if archived else None
    return _record_group_change(operator, "group.archive" if archived else "group.unarchive", group, before)


@atomic()
def delete_group(operator: User, conversation_id: int) -> None:
    """Delete a group with its messages; members' pages drop it at once."""
    operator = access_operator(operator)
    group = get_group(conversation_id)
    # The rows of its files go with the group; their objects must leave storage too.
    for attachment_id in live_file_ids(group.id):
        delete_file(operator, attachment_id)
    member_ids = [membership.user_id for membership in group.memberships]
    record(operator, "group.delete", "group", group.id,
           {**snapshot(group, GROUP_FIELDS), "member_ids": member_ids, "message_count": group.last_seq}, None)
    db.session.delete(group)
    for user_id in member_ids:
        queue_event(ConversationLeft(user_id, conversation_id, "deleted"))


@atomic()
def add_group_member(operator: User, conversation_id: int, user_id: int) -> Membership:
    """Add an active user to a group as a member."""
    operator = access_operator(operator)
    group = get_group(conversation_id)
    user = get_active_user(user_id)
    if find_membership(conversation_id, user.id) is not None:
        raise Conflict("already_a_member", "That user is already a member.")
    record(operator, "group.add_member", "group", group.id, None, {"user_id": user.id, "role": "member"})
    return add_membership_unchecked(group, user.id)


@atomic()
def remove_group_member(operator: User, conversation_id: int, user_id: int) -> None:
    """Remove anyone from a group; the last owner's place passes on as when they leave."""
    operator = access_operator(operator)
    get_group(conversation_id)
    membership = _existing_membership(conversation_id, user_id)
    record(operator, "group.remove_member", "group", conversation_id,
           {"user_id": user_id, "role": membership.role}, None)
    remove_membership_unchecked(membership, reason="removed")


@atomic()
def set_group_member_role(operator: User, conversation_id: int, user_id: int, role: str) -> Membership:
    """Make a member owner, admin or member; a group keeps at least one owner."""
    operator = access_operator(operator)
    role = check_choice(role, "role", MEMBER_ROLES)
    get_group(conversation_id)
    membership = _existing_membership(conversation_id, user_id)
    if membership.role == role:
        return membership
    if membership.role == "owner" and owner_count(conversation_id) == 1:
        raise Conflict("last_owner", "A group keeps at least one owner: appoint another first.")
    record(operator, "group.set_member_role", "group", conversation_id,
           {"user_id": user_id, "role": membership.role}, {"user_id": user_id, "role": role})
    membership.role = role
    queue_event(MemberRoleChanged(conversation_id, user_id))
    return membership


def _existing_membership(conversation_id: int, user_id: int) -> Membership:
    membership = find_membership(conversation_id, user_id)
    if membership is None:
        raise NotFound("member_not_found", "That user is not a member.")
    return membership


def _record_group_change(operator: User, action: str, group: Conversation, before: dict) -> Conversation:
    record(operator, action, "group", group.id, before, snapshot(group, GROUP_FIELDS))
    queue_event(ConversationUpdated(group.id))
    return group
