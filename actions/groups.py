"""Groups: create, find, join, leave, and member management by owners and admins."""
from __future__ import annotations

from sqlalchemy import func

from actions.access import (
    access_conversation,
    access_group_for_managing,
    access_user_for_adding,
    get_group,
)
from actions.errors import Conflict, Forbidden, NotFound
from actions.validation import check_choice, check_string
from events import atomic, queue_event
from events.facts import (
    ConversationJoined,
    ConversationLeft,
    ConversationUpdated,
    MemberJoined,
    MemberLeft,
    MemberRoleChanged,
)
from extensions import db
from models import Conversation, Membership, User
from models.conversation import MEMBER_ROLES, VISIBILITIES
from models.database import LIKE_ESCAPE, contains_pattern


@atomic()
def create_group(creator: User, name: str, description: str = "", visibility: str = "private",
                 member_ids: list[int] | None = None) -> Conversation:
    """Create a group owned by its creator, optionally with first members."""
    name = check_string(name, "name", max_length=80)
    description = check_string(description, "description", max_length=1000, required=False, multiline=True)
    visibility = check_choice(visibility, "visibility", VISIBILITIES, default="private")
    members = [access_user_for_adding(creator, user_id) for user_id in dict.fromkeys(member_ids or [])
               if user_id != creator.id]
    group = Conversation(kind="group", name=name, description=description, visibility=visibility,
                         created_by_id=creator.id)
    db.session.add(group)
    db.session.flush()
    db.session.add(Membership(conversation_id=group.id, user_id=creator.id, role="owner"))
    for member in members:
        db.session.add(Membership(conversation_id=group.id, user_id=member.id, role="member"))
    for user_id in [creator.id, *(member.id for member in members)]:
        queue_event(ConversationJoined(user_id, group.id))
    return group


def list_public_groups(query: str = "", limit: int = 50) -> list[tuple[Conversation, int]]:
    """Public, unarchived groups matching `query`, with their member counts."""
    query = check_string(query, "q", max_length=80, required=False)
    member_count = (
        db.select(func.count(Membership.id)).where(Membership.conversation_id == Conversation.id)
        .correlate(Conversation).scalar_subquery()
    )
    statement = (
        db.select(Conversation, member_count)
        .where(Conversation.kind == "group", Conversation.visibility == "public",
               Conversation.archived_at.is_(None))
        .order_by(Conversation.name).limit(limit)
    )
    if query:
        statement = statement.where(Conversation.name.ilike(contains_pattern(query), escape=LIKE_ESCAPE))
    return [(group, count) for group, count in db.session.execute(statement)]


@atomic()
def join_group(user: User, conversation_id: int) -> Membership:
    """Anyone joins a public group; private groups are by invitation only."""
    group = get_group(conversation_id)
    if find_membership(conversation_id, user.id) is not None:
        raise Conflict("already_a_member", "You are already a member of this group.")
    if group.visibility != "public":
        raise Forbidden("group_is_private", "This group is private: a member must add you.")
    if group.archived_at is not None:
        raise Forbidden("conversation_archived", "This group is archived.")
    return add_membership_unchecked(group, user.id)


@atomic()
def add_member(actor: User, conversation_id: int, user_id: int) -> Membership:
    """Owners and admins add people to their group."""
    access_group_for_managing(actor, conversation_id)
    group = get_group(conversation_id)
    user = access_user_for_adding(actor, user_id)
    if find_membership(conversation_id, user.id) is not None:
        raise Conflict("already_a_member", "That user is already a member.")
    return add_membership_unchecked(group, user.id)


@atomic()
def leave_group(user: User, conversation_id: int) -> None:
    """Leave a group; if the last owner leaves, the longest-standing admin (or member) takes over."""
    get_group(conversation_id)
    membership = access_conversation(user, conversation_id)
    remove_membership_unchecked(membership, reason="left")


@atomic()
def remove_member(actor: User, conversation_id: int, user_id: int) -> None:
    """Owners remove anyone; admins remove plain members."""
    actor_membership = access_group_for_managing(actor, conversation_id)
    target = find_membership(conversation_id, user_id)
    if target is None:
        raise NotFound("member_not_found", "That user is not a member.")
    if target.user_id == actor.id:
        raise Conflict("cannot_remove_self", "Use leave to leave the group.")
    if actor_membership.role != "owner" and target.role != "member":
        raise Forbidden("not_a_group_owner", "Only owners can remove owners and admins.")
    remove_membership_unchecked(target, reason="removed")


@atomic()
def set_member_role(actor: User, conversation_id: int, user_id: int, role: str) -> Membership:
    """Owners set any role; admins may only promote members to admin."""
    role = check_choice(role, "role", MEMBER_ROLES)
    actor_membership = access_group_for_managing(actor, conversation_id)
    target = find_membership(conversation_id, user_id)
    if target is None:
        raise NotFound("member_not_found", "That user is not a member.")
    if actor_membership.role != "owner" and (role == "owner" or target.role != "member"):
        raise Forbidden("not_a_group_owner", "Only owners can appoint owners or change admins.")
    check_keeps_an_owner(target, role)
    target.role = role
    queue_event(MemberRoleChanged(conversation_id, target.user_id))
    return target


@atomic()
def update_group(actor: User, conversation_id: int, name: str | None = None,
                 description: str | None = None) -> Conversation:
    """Owners and admins rename a group or change its description."""
    access_group_for_managing(actor, conversation_id)
    group = get_group(conversation_id)
    before = (group.name, group.description)
    if name is not None:
        group.name = check_string(name, "name", max_length=80)
    if description is not None:
        group.description = check_string(description, "description", max_length=1000, required=False, multiline=True)
    if (group.name, group.description) == before:
        return group  # nothing changed: nothing to tell anyone
    queue_event(ConversationUpdated(conversation_id))
    return group


def list_members(user: User, conversation_id: int) -> list[Membership]:
    access_conversation(user, conversation_id)
    return list(db.session.execute(
        db.select(Membership).where(Membership.conversation_id == conversation_id)
        .order_by(Membership.joined_at, Membership.id)
    ).scalars())


# The building blocks below are shared with actions.group_admin, so operators' changes
# produce exactly the events members' changes do. The `_unchecked` ones change memberships
# without deciding anything: both callers authorize first (owners here, operators there).

def find_membership(conversation_id: int, user_id: int) -> Membership | None:
    return db.session.execute(
        db.select(Membership).where(Membership.conversation_id == conversation_id,
                                    Membership.user_id == user_id)
    ).scalar_one_or_none()


def check_keeps_an_owner(membership: Membership, new_role: str) -> None:
    """A group keeps at least one owner: its last owner cannot become admin or member."""
    if membership.role == "owner" and new_role != "owner" and owner_count(membership.conversation_id) == 1:
        raise Conflict("last_owner", "A group keeps at least one owner: appoint another first.")


def owner_count(conversation_id: int) -> int:
    return db.session.execute(
        db.select(func.count(Membership.id)).where(Membership.conversation_id == conversation_id,
                                                   Membership.role == "owner")
    ).scalar_one()


def add_membership_unchecked(group: Conversation, user_id: int) -> Membership:
    """Add a member and tell everyone concerned. Decides nothing: callers authorize."""
    # New members start with everything already read: the history is there, not "unread".
    membership = Membership(conversation_id=group.id, user_id=user_id, role="member",
                            last_read_seq=group.last_seq, last_delivered_seq=group.last_seq)
    db.session.add(membership)
    db.session.flush()
    queue_event(ConversationJoined(user_id, group.id))
    queue_event(MemberJoined(group.id, user_id))
    return membership


def remove_membership_unchecked(membership: Membership, reason: str) -> None:
    """Remove a member, passing ownership on if needed, and tell everyone concerned.
    Decides nothing: callers authorize."""
    conversation_id, user_id = membership.conversation_id, membership.user_id
    successor = None
    if membership.role == "owner" and owner_count(conversation_id) == 1:
        successor = db.session.execute(
            db.select(Membership).where(Membership.conversation_id == conversation_id,
                                        Membership.user_id != user_id)
            .order_by((Membership.role == "admin").desc(), Membership.joined_at, Membership.id).limit(1)
        ).scalar_one_or_none()
        if successor is not None:
            successor.role = "owner"
    db.session.delete(membership)
    db.session.flush()
    queue_event(ConversationLeft(user_id, conversation_id, reason))
    queue_event(MemberLeft(conversation_id, user_id, reason))
    if successor is not None:
        queue_event(MemberRoleChanged(conversation_id, successor.user_id))
