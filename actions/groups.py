"""Groups: create, find, join, leave, member management by owners and admins, and handing the
group over (an owner deletes it through actions.group_admin, where deletion lives)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select

from actions.access import (
    access_conversation,
    access_group_for_managing,
    access_group_for_owning,
    access_group_preview,
    access_user_for_adding,
    check_group_open,
    check_may_join,
    check_may_remove_member,
    check_may_set_role,
    get_group,
    hold_account_unchecked,
)
from actions.errors import Conflict, NotFound
from actions.group_notes import note_group_change_unchecked, note_group_edit_unchecked
from actions.validation import check_choice, check_group_description, check_group_name, check_string
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
from models import Conversation, Membership, Message, User
from models.conversation import MEMBER_ROLES, VISIBILITIES
from models.database import LIKE_ESCAPE, begin_writing, contains_pattern

PREVIEW_MESSAGES = 20  # shown of a public group before joining
_conversations = Conversation.__table__
LOCK_GROUP = (select(_conversations.c.id).where(_conversations.c.id == bindparam("conversation_id"))
              .with_for_update())


@atomic()
def create_group(creator: User, name: str, description: str = "", visibility: str = "private",
                 member_ids: list[int] | None = None) -> Conversation:
    """Create a group owned by its creator, optionally with first members."""
    name = check_group_name(name)
    description = check_group_description(description)
    visibility = check_choice(visibility, "visibility", VISIBILITIES, default="private")
    # Held in id order, as the purge of accounts never confirmed holds the accounts it deletes: in the
    # order given, each could hold one the other waited for (PostgreSQL cancelled one).
    held = {user_id: access_user_for_adding(creator, user_id) for user_id in sorted(set(member_ids or []))
            if user_id != creator.id}
    members = [held[user_id] for user_id in dict.fromkeys(member_ids or []) if user_id in held]
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


@dataclass(frozen=True)
class GroupPreview:
    group: Conversation
    member_count: int
    messages: list[Message]  # the newest, oldest first


def preview_group(user: User, conversation_id: int, limit: int = PREVIEW_MESSAGES) -> GroupPreview:
    """What a public group looks like before joining: its newest messages and how many are in it."""
    group = access_group_preview(user, conversation_id)
    messages = list(db.session.execute(
        db.select(Message).where(Message.conversation_id == group.id).order_by(Message.seq.desc()).limit(limit)
    ).scalars())
    member_count = db.session.execute(
        db.select(func.count(Membership.id)).where(Membership.conversation_id == group.id)).scalar_one()
    return GroupPreview(group, member_count, messages[::-1])


@atomic()
def join_group(user: User, conversation_id: int) -> Membership:
    """Anyone joins a public group; private groups are by invitation only."""
    hold_group(conversation_id)
    group = get_group(conversation_id)
    if find_membership(conversation_id, user.id) is not None:
        raise Conflict("already_a_member", "You are already a member of this group.")
    check_may_join(group)
    return add_membership_unchecked(group, user.id, actor=user)


@atomic()
def add_member(actor: User, conversation_id: int, user_id: int) -> Membership:
    """Owners and admins add people to their group."""
    hold_group(conversation_id, adding=user_id)
    access_group_for_managing(actor, conversation_id)
    group = get_group(conversation_id)
    user = access_user_for_adding(actor, user_id)
    if find_membership(conversation_id, user.id) is not None:
        raise Conflict("already_a_member", "That user is already a member.")
    return add_membership_unchecked(group, user.id, actor=actor)


@atomic()
def leave_group(user: User, conversation_id: int) -> None:
    """Leave a group; if the last owner leaves, the longest-standing admin (or member) takes over."""
    hold_group(conversation_id)
    get_group(conversation_id)
    membership = access_conversation(user, conversation_id)
    remove_membership_unchecked(membership, reason="left")


@atomic()
def remove_member(actor: User, conversation_id: int, user_id: int) -> None:
    """Owners remove anyone; admins remove plain members."""
    hold_group(conversation_id)
    actor_membership = access_group_for_managing(actor, conversation_id)
    target = get_membership(conversation_id, user_id)
    if target.user_id == actor.id:
        raise Conflict("cannot_remove_self", "Use leave to leave the group.")
    check_may_remove_member(actor_membership, target)
    remove_membership_unchecked(target, reason="removed", actor=actor)


@atomic()
def set_member_role(actor: User, conversation_id: int, user_id: int, role: str) -> Membership:
    """Owners set any role; admins may only promote members to admin."""
    role = check_choice(role, "role", MEMBER_ROLES)
    hold_group(conversation_id)
    actor_membership = access_group_for_managing(actor, conversation_id)
    target = get_membership(conversation_id, user_id)
    check_may_set_role(actor_membership, target, role)
    if target.role == role:
        return target  # nothing changed: nothing to tell anyone
    check_keeps_an_owner(target, role)
    target.role = role
    tell_role_changed_unchecked(target, actor)
    return target


@atomic()
def transfer_ownership(actor: User, conversation_id: int, user_id: int) -> Membership:
    """An owner hands the group over: the member they name becomes owner, they stay as an admin."""
    hold_group(conversation_id)
    actor_membership = access_group_for_owning(actor, conversation_id)
    check_group_open(actor_membership.conversation)
    target = get_membership(conversation_id, user_id)
    if target.role == "owner":
        raise Conflict("already_an_owner", "That member is an owner already.")
    target.role = "owner"
    check_keeps_an_owner(actor_membership, "admin")  # an active one: not handed to a banned member alone
    actor_membership.role = "admin"  # the group keeps an owner: the new one
    for membership in (target, actor_membership):
        queue_event(MemberRoleChanged(conversation_id, membership.user_id))
    note_group_change_unchecked(conversation_id, "ownership_transferred", actor, target.user)
    return target


@atomic()
def update_group(actor: User, conversation_id: int, name: str | None = None,
                 description: str | None = None) -> Conversation:
    """Owners and admins rename a group or change its description. The group is held first, as for a
    change of its members: a second rename to the same name finds it there and tells nobody."""
    hold_group(conversation_id)
    access_group_for_managing(actor, conversation_id)
    group = get_group(conversation_id)
    before = (group.name, group.description)
    if name is not None:
        group.name = check_group_name(name)
    if description is not None:
        group.description = check_group_description(description)
    if (group.name, group.description) == before:
        return group  # nothing changed: nothing to tell anyone
    queue_event(ConversationUpdated(conversation_id))
    note_group_edit_unchecked(group, *before, actor)
    return group


def list_members(user: User, conversation_id: int) -> list[Membership]:
    """The members of a conversation the user belongs to, longest-standing first."""
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


def get_membership(conversation_id: int, user_id: int) -> Membership:
    """A member of the conversation (NotFound otherwise); decides nothing."""
    membership = find_membership(conversation_id, user_id)
    if membership is None:
        raise NotFound("member_not_found", "That user is not a member.")
    return membership


def check_keeps_an_owner(membership: Membership, new_role: str) -> None:
    """A group keeps at least one owner: its last owner cannot become admin or member, nor its last active
    one while the others are deactivated or suspended (they could manage nothing)."""
    if membership.role != "owner" or new_role == "owner":
        return
    conversation_id = membership.conversation_id
    if owner_count(conversation_id) == 1 or (
            membership.user.findable and not active_owner_count(conversation_id, besides=membership.user_id)):
        raise Conflict("last_owner", "A group keeps at least one owner: appoint another first.")


def hold_group(conversation_id: int, adding: int | None = None) -> None:
    """Every change of a group's memberships takes the group's row lock first (SQLite: the write lock),
    held until COMMIT, before it reads any membership: two changes of who is in it or who owns it (two
    people joining an empty group, two owners leaving, a hand-over while its new owner leaves) are made
    one after the other, each reading what the other committed; and every such change locks in one
    order, the group and then its memberships, as a message's numbering does, so none waits on another
    in a circle (PostgreSQL would cancel one as a deadlock). The account `adding` puts in the group is
    held before it, as the purge of accounts never confirmed holds its accounts before their groups."""
    begin_writing(db.session.connection())
    if adding is not None:
        hold_account_unchecked(adding)
    db.session.execute(LOCK_GROUP, {"conversation_id": conversation_id})
    # The session's copy of the group, if it was read before the lock (the back office's Delete reads it
    # first), is read again: a change decides on what the one before it committed (deleting_at, archived_at).
    held = db.session.identity_map.get(db.session.identity_key(Conversation, conversation_id))
    if held is not None:
        if held in db.session.dirty:
            db.session.flush()
        db.session.expire(held)


def owner_count(conversation_id: int) -> int:
    """The group's owners; its callers hold the group (hold_group), so the count stays true until COMMIT."""
    return db.session.execute(
        db.select(func.count(Membership.id)).where(Membership.conversation_id == conversation_id,
                                                   Membership.role == "owner")
    ).scalar_one()


def add_membership_unchecked(group: Conversation, user_id: int, actor: User | None = None,
                             by: User | None = None) -> Membership:
    """Add a member and tell everyone concerned; the note says they joined (`actor` is them), or
    who added them (None: an operator, `by`). A group with no owner (its last member left) is the newcomer's:
    they join as its owner, as ownership passes on when the last owner leaves. Decides nothing:
    callers authorize."""
    role = "member" if owner_count(group.id) else "owner"
    # New members start with everything already read: the history is there, not "unread".
    membership = Membership(conversation_id=group.id, user_id=user_id, role=role,
                            last_read_seq=group.last_seq, last_delivered_seq=group.last_seq)
    db.session.add(membership)
    db.session.flush()
    queue_event(ConversationJoined(user_id, group.id))
    queue_event(MemberJoined(group.id, user_id))
    joined = actor is not None and actor.id == user_id
    note_group_change_unchecked(group.id, "member_joined" if joined else "member_added", actor, membership.user,
                                by=by)
    return membership


def leave_groups_of_deleted_unchecked(user_ids) -> None:
    """Before the accounts `user_ids` (a select of their ids) are deleted (one never confirmed: the
    purge): each leaves its groups as anyone leaves (`member:left`, the note, a last owner's place passed
    on), where the deletion's ON DELETE CASCADE took the memberships away unseen, the members' pages
    kept them listed and a group they owned had no owner. Decides nothing: the caller deletes the
    accounts, locked."""
    places = db.session.execute(
        db.select(Membership.conversation_id, Membership.user_id).join(Conversation)
        .where(Conversation.kind == "group", Membership.user_id.in_(user_ids))
        # In each group its owners last: one of them passes the group on to an account that stays, never
        # to another one purged a moment later (its member:updated would find no member by COMMIT).
        .order_by(Membership.conversation_id, Membership.role == "owner", Membership.user_id)).all()
    for conversation_id, user_id in places:
        hold_group(conversation_id)
        membership = find_membership(conversation_id, user_id)
        if membership is not None:
            remove_membership_unchecked(membership, reason="left")


def remove_membership_unchecked(membership: Membership, reason: str, actor: User | None = None,
                                by: User | None = None) -> None:
    """Remove a member, passing ownership on if needed (to the longest-standing admin, else member, of
    the active accounts first), and tell everyone concerned; the note
    says they left, or who removed them (`actor`; None: an operator, `by`). Decides nothing: callers authorize."""
    conversation_id, user_id, user = membership.conversation_id, membership.user_id, membership.user
    successor = None
    if membership.role == "owner" and not active_owner_count(conversation_id, besides=user_id):
        # The last owner: someone takes over. The last active one, with deactivated or suspended owners
        # staying: an active account takes over, if there is one.
        successor = _successor(conversation_id, user_id, active_only=owner_count(conversation_id) > 1)
        if successor is not None:
            successor.role = "owner"
    db.session.delete(membership)
    db.session.flush()
    queue_event(ConversationLeft(user_id, conversation_id, reason))
    queue_event(MemberLeft(conversation_id, user_id, reason))
    note_group_change_unchecked(conversation_id, "member_left" if reason == "left" else "member_removed",
                                user if reason == "left" else actor, user, by=by)
    if successor is not None:
        tell_role_changed_unchecked(successor, by=by)


def active_owner_count(conversation_id: int, besides: int) -> int:
    """The group's owners whose accounts are active (User.findable: the Member's `active`, which the page's
    leave warning reads), but the user of `besides`; its callers hold the group."""
    return db.session.execute(
        db.select(func.count(Membership.id)).join(User, User.id == Membership.user_id)
        .where(Membership.conversation_id == conversation_id, Membership.role == "owner",
               Membership.user_id != besides, User.findable)).scalar_one()


def _successor(conversation_id: int, user_id: int, active_only: bool) -> Membership | None:
    """Who takes the group over from `user_id`: the longest-standing admin, else member, an active account
    before one deactivated, suspended or never confirmed (which could manage nothing; User.findable, the
    Member's `active` the page's leave warning reads); with `active_only`, none of those."""
    statement = (db.select(Membership).join(User, User.id == Membership.user_id)
                 .where(Membership.conversation_id == conversation_id, Membership.user_id != user_id)
                 .order_by(User.findable.desc(), (Membership.role == "admin").desc(), Membership.joined_at,
                           Membership.id).limit(1))
    if active_only:
        statement = statement.where(User.findable)
    return db.session.execute(statement).scalar_one_or_none()


def share_groups_of_closed_account_unchecked(user: User) -> None:
    """An account just deactivated or suspended (`user.active` false) keeps its groups and its roles, but
    a group it owned with no other active owner gets one: its longest-standing active admin, else member,
    becomes an owner too, told as ownership passing on is. Lifting the ban takes nothing back (the account
    is an owner still); a group with nobody active is left as it is. Decides nothing: operators' actions
    call it."""
    # Every group it is in, held before its role there is read: one it is made an owner of meanwhile (by
    # another operator's ban of that group's owner, who took it for active) is shared too.
    group_ids = db.session.execute(
        db.select(Membership.conversation_id).join(Conversation)
        .where(Conversation.kind == "group", Membership.user_id == user.id)
        .order_by(Membership.conversation_id)).scalars().all()
    for conversation_id in group_ids:
        hold_group(conversation_id)
        role = db.session.execute(db.select(Membership.role).where(
            Membership.conversation_id == conversation_id, Membership.user_id == user.id)).scalar_one_or_none()
        if role != "owner":
            continue
        active_owners = active_owner_count(conversation_id, besides=user.id)
        successor = None if active_owners else _successor(conversation_id, user.id, active_only=True)
        if successor is not None:
            successor.role = "owner"
            tell_role_changed_unchecked(successor)


def tell_role_changed_unchecked(membership: Membership, actor: User | None = None, by: User | None = None) -> None:
    """A member's role changed (to `membership.role`): the members get `member:updated`, and the group's
    note says who made them what (`actor`; None: an operator, `by`, or ownership passing on by itself)."""
    queue_event(MemberRoleChanged(membership.conversation_id, membership.user_id))
    note_group_change_unchecked(membership.conversation_id, "role_changed", actor, membership.user,
                                role=membership.role, by=by)
