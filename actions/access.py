"""The one home of "who may": who is an operator, who may read, post or manage here.

`access_*` load a thing for a caller and authorize, or refuse (403, or 404 when it does not
exist); `is_operator` is the one test of operator-ness, for callers that only branch on it.
The `get_*` here only load (404 when missing) and decide nothing: the rules below build on
them, and so do actions whose callers authorized already.
"""
from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import Select, bindparam
from sqlalchemy.orm import aliased, joinedload

# Contacts, blocks and privacy live in actions.access_privacy; their rules are this module's too, imported from here.
from actions.access_privacy import (  # noqa: F401
    access_contact_request,
    access_user_for_contact_request,
    are_contacts,
    blocked_by,
    blocked_members,
    blockers_of,
    check_may_message_directly,
    delivered_caps,
    has_blocked,
    may_see_presence,
    may_see_read_receipts,
    presence_audiences,
    presence_viewers,
    privacy_of,
    read_receipt_viewers,
    visible_presences,
    visible_readers,
)
from actions.errors import Conflict, Forbidden, NotFound
from extensions import db
from models import ApiToken, Conversation, Membership, Message, User
from models.database import begin_writing
from models.login_session import LoginSession

MANAGER_ROLES = ("owner", "admin")  # of a group's members, not of the service
OPERATOR_ROLE = "admin"  # of an account: the service's operators
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")  # what actions.sessions makes; anything else names no session


def is_operator(user: User | None) -> bool:
    """Active, logged-in accounts with the admin role are operators; nobody else."""
    return (user is not None and getattr(user, "is_authenticated", False) and user.active
            and user.role == OPERATOR_ROLE)


def access_operator(user: User | None) -> User:
    """The caller, if an operator (the back office, the admin API, every operator action); else 403."""
    if not is_operator(user):
        raise Forbidden("not_an_operator", "Only operators can do that.")
    return user


def get_active_user(user_id: int) -> User:
    """A findable account (to add, message or notify: User.findable); deactivated, suspended and
    unconfirmed ones are not found."""
    user = db.session.get(User, user_id)
    if user is None or not user.findable:
        raise NotFound("user_not_found", "No such user.")
    return user


def hold_active_user(user_id: int) -> User:
    """A findable account about to be referred to by a new row (a membership: added to a group, a direct
    chat, a notice), as get_active_user, its row held until COMMIT (PostgreSQL: FOR KEY SHARE, what the new
    row's foreign key takes anyway; SQLite: the write lock): the purge of accounts never confirmed
    (actions.registration) waits for this unit, then takes the new row away with the account's others.
    Read without it, the account could be deleted between this read and the insert, which then failed
    on the foreign key (a 500). A group's change holds it before the group (hold_account_unchecked)."""
    user = hold_account_unchecked(user_id)
    if user is None or not user.findable:
        raise NotFound("user_not_found", "No such user.")
    return user


def hold_account_unchecked(user_id: int) -> User | None:
    """hold_active_user's lock, deciding nothing: an account about to be added to a group is held before
    the group (actions.groups.hold_group), the purge's order (the accounts, then their groups). Taken
    after the group, the add waited for an account the purge held while the purge waited for the group
    (another account it deleted was a member): PostgreSQL cancelled one as a deadlock."""
    begin_writing(db.session.connection())
    return db.session.execute(db.select(User).where(User.id == user_id).with_for_update(read=True, key_share=True)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def lock_pair(first_id: int, second_id: int) -> None:
    """Hold what lies between two people (their contact, their requests, a block) until COMMIT: PostgreSQL,
    a transaction-level advisory lock keyed by the two ids (smaller first); SQLite, the write lock. Every
    change of it takes this first (a request, its answer, a block), and so does a group add of the two
    (access_user_for_adding), so each reads what the one before it committed. Without it, two people
    asking each other at once were both answered `pending`, a block made while a request was accepted
    (or sent) left the contact (or the request) in place, and a block made while one added the other to a
    group was stored before the add, which it had not stopped."""
    connection = db.session.connection()
    begin_writing(connection)
    if connection.dialect.name == "postgresql":
        connection.execute(db.select(db.func.pg_advisory_xact_lock(min(first_id, second_id),
                                                                     max(first_id, second_id))))


# The member's row, built once with the ids as parameters: every event that reads or posts asks it,
# and building the statement anew each time cost about as much as running it (issue 15).
MEMBERSHIP = db.select(Membership).where(Membership.conversation_id == bindparam("conversation_id"),
                                         Membership.user_id == bindparam("user_id"))
# With its conversation in the same query: posting reads its state (archived, kind) every time.
MEMBERSHIP_WITH_CONVERSATION = MEMBERSHIP.options(joinedload(Membership.conversation, innerjoin=True))


def access_conversation(user: User, conversation_id: int) -> Membership:
    """Members read a conversation; everyone else is refused (403, or 404 if it does not exist)."""
    return _member_or_refused(user, conversation_id, MEMBERSHIP)


def _member_or_refused(user: User, conversation_id: int, select_membership: Select) -> Membership:
    membership = db.session.execute(
        select_membership, {"conversation_id": conversation_id, "user_id": user.id}).scalar_one_or_none()
    if membership is not None:
        return membership
    if db.session.get(Conversation, conversation_id) is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    raise Forbidden("not_a_member", "You are not a member of this conversation.")


_memberships = Membership.__table__


def _readable_by(user_id):
    """access_conversation's rule for all at once: the memberships whose conversations `user_id` may read."""
    return _memberships.c.user_id == user_id


def _readable_conversation_ids(user_id) -> Select:
    """The ids of the conversations a user may read."""
    return db.select(_memberships.c.conversation_id).where(_readable_by(user_id))


def readable_conversation_ids(user: User) -> Select:
    """The conversations the user may read (a subquery of ids)."""
    return _readable_conversation_ids(user.id)


# Built once (no ORM compile state, no per-call construction): every socket's connect asks it for its
# rooms (issue 15).
READABLE_CONVERSATION_IDS = _readable_conversation_ids(bindparam("user_id"))


def with_readable_conversation_ids(statement: Select, user_id) -> Select:
    """`statement` with one more column, a conversation the user of `user_id` (a column of the
    statement) may read (readable_conversation_ids' rule, joined): a row per such conversation, one row
    with None if there is none. A socket's connect reads its token and its rooms so, in one statement."""
    return statement.add_columns(_memberships.c.conversation_id).outerjoin(_memberships, _readable_by(user_id))


def list_readable_conversation_ids(user_id: int) -> list[int]:
    """The ids readable_conversation_ids selects, for a user known by id only (a socket's connect)."""
    return list(db.session.execute(READABLE_CONVERSATION_IDS, {"user_id": user_id}).scalars())


def access_conversation_for_posting(user: User, conversation_id: int) -> Membership:
    """Members post, unless the group is archived (read-only); in a direct chat, unless a block or
    the other person's privacy refuses it (check_may_message_directly)."""
    membership = _member_or_refused(user, conversation_id, MEMBERSHIP_WITH_CONVERSATION)
    if membership.conversation.archived_at is not None:
        raise Forbidden("conversation_archived", "This conversation is archived: nobody can post.")
    if membership.conversation.kind == "direct":  # blocks and the other person's privacy
        peer_id = direct_peer_id(membership.conversation, user.id)
        if peer_id is not None:  # none: the user's notices conversation (archived: refused above)
            check_may_message_directly(user, peer_id, membership.conversation)
    return membership


def get_group(conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not conversation.is_group:
        raise NotFound("group_not_found", "No such group.")
    return conversation


def access_group_for_managing(user: User, conversation_id: int) -> Membership:
    """The group's owners and admins manage members, names, roles and the picture, while it is open."""
    group = get_group(conversation_id)
    membership = access_conversation(user, conversation_id)
    if membership.role not in MANAGER_ROLES:
        raise Forbidden("not_a_group_admin", "Only the group's owners and admins can do that.")
    check_group_open(group)
    return membership


def check_group_open(group: Conversation) -> None:
    """An archived group (by an operator, or being deleted) changes no more: nobody is added, removed or
    given a role, and it keeps its name, description, picture and owner (the chat page says "nothing can
    change"); its members still read it and may leave, its owners may delete it. Operators too change it no
    more (renaming, members, roles, a broadcast) until they unarchive it, as a Slack channel is read-only
    until unarchived; they may still delete it."""
    if group.archived_at is not None:
        raise Forbidden("conversation_archived", "This group is archived: nothing can change.")


def access_group_for_owning(user: User, conversation_id: int) -> Membership:
    """Only the group's owners hand it over to another member or delete it (admins manage members
    and names, not the group itself: as in Telegram and WhatsApp)."""
    get_group(conversation_id)
    membership = access_conversation(user, conversation_id)
    if membership.role != "owner":
        raise Forbidden("not_a_group_owner", "Only the group's owners can do that.")
    return membership


def check_may_join(group: Conversation) -> None:
    """Anyone joins a public group that is not archived; a private group is by invitation only."""
    if group.visibility != "public":
        raise Forbidden("group_is_private", "This group is private: a member must add you.")
    check_group_open(group)


def check_may_remove_member(actor: Membership, target: Membership) -> None:
    """Owners remove anyone; admins remove plain members only (not each other, not an owner)."""
    if actor.role != "owner" and target.role != "member":
        raise Forbidden("not_a_group_owner", "Only owners can remove owners and admins.")


def check_may_set_role(actor: Membership, target: Membership, role: str) -> None:
    """Owners set any role; admins may only make plain members admins."""
    if actor.role != "owner" and (role == "owner" or target.role != "member"):
        raise Forbidden("not_a_group_owner", "Only owners can appoint owners or change admins.")


def access_group_preview(user: User, conversation_id: int) -> Conversation:
    """A group's preview (recent messages, member count) before joining: anyone signed in for a
    public group, as its listing shows it; a private group's members only (403 `not_a_member`
    to anyone else, as for its messages)."""
    group = get_group(conversation_id)
    if group.visibility != "public":
        access_conversation(user, conversation_id)
    return group


def access_user_for_adding(user: User, user_id: int) -> User:
    """An active user whom `user` may put in a group: anyone (GROUP_ADD_POLICY=anyone, as in most chat
    apps), or with GROUP_ADD_POLICY=nobody only themselves — people then join public groups on their
    own, and operators add them from the back office (actions.group_admin does not come here). Nobody
    adds someone who blocked them (as in WhatsApp): they would reach them through the group; nor someone
    they blocked, until they unblock them (WhatsApp: "Unblock … to add"), as for a direct message."""
    added = hold_active_user(user_id)
    if added.id != user.id:
        lock_pair(user.id, added.id)  # a block of the two at the same moment: before the add, or after it
    if added.id != user.id and current_app.config["GROUP_ADD_POLICY"] == "nobody":
        raise Forbidden("cannot_add_user", "People here join groups themselves: nobody can add them.")
    if added.id != user.id and has_blocked(added.id, user.id):
        raise Forbidden("cannot_add_user", "This person cannot be added to groups by you.")
    if added.id != user.id and has_blocked(user.id, added.id):
        raise Forbidden("user_blocked", "You blocked this person: unblock them to add them.")
    return added


def get_message(message_id: int) -> Message:
    """Any message (NotFound otherwise); decides nothing: access_own_message and access_message below
    authorize, operators' actions check the operator first."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise no_such_message()
    return message


def hold_message(message_id: int) -> Message:
    """Any message (NotFound otherwise), read under its row lock (SQLite: the write lock), held until
    COMMIT: a change of it (an edit, its deletion, a reaction; an operator hiding, showing or erasing it:
    actions.moderation) decides on what it is now. Another change made at the same time waits for this
    one, then reads what it left: an edit after a deletion is refused `message_removed`, where both read
    the message side by side and the edit, committed second, was written into the removed message and
    told to every member as shown again. The message is held before its conversation's revision is
    taken, by every change (a report too: actions.reports). FOR NO KEY UPDATE: a reply, whose row only
    refers to the message (its foreign key), does not wait. Decides nothing, as get_message."""
    begin_writing(db.session.connection())
    message = db.session.execute(
        db.select(Message).where(Message.id == message_id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if message is None:
        raise no_such_message()
    return message


def no_such_message() -> NotFound:
    return NotFound("message_not_found", "No such message.")


def access_own_message(user: User, message_id: int) -> Message:
    """Authors edit and delete their own messages, in conversations they still belong to (the message
    held: hold_message)."""
    message = hold_message(message_id)
    access_conversation_for_posting(user, message.conversation_id)
    if message.sender_id != user.id:
        raise Forbidden("not_the_author", "Only the author can change this message.")
    if message.is_removed:
        raise Conflict("message_removed", "This message was removed.")
    return message


def check_may_mention_all(membership: Membership) -> None:
    """`@all` notifies everyone in a group, even those who muted it: its owners and admins only
    (as Slack and Telegram restrict @channel / @all in large groups)."""
    if membership.role not in MANAGER_ROLES:
        raise Forbidden("mention_all_forbidden", "Only the group's owners and admins can mention @all.")


def access_message(user: User, message_id: int) -> Message:
    """A message in a conversation the user belongs to (to react to, or find in its history)."""
    message = get_message(message_id)
    access_conversation(user, message.conversation_id)
    return message


def access_own_session(user: User, session_id: object) -> LoginSession:
    """People end their own login sessions only; another's, an ended one or a made-up id are not found
    (the same answer, so ids cannot be probed)."""
    well_formed = isinstance(session_id, str) and SESSION_ID.fullmatch(session_id)
    login_session = db.session.get(LoginSession, session_id) if well_formed else None
    if login_session is None or login_session.user_id != user.id or login_session.ended_at is not None:
        raise NotFound("session_not_found", "No such session.")
    return login_session


def access_own_token(user: User, token_id: object) -> ApiToken:
    """People revoke their own API tokens only; another's or a revoked one are not found."""
    token = db.session.get(ApiToken, token_id) if isinstance(token_id, int) and not isinstance(token_id, bool) else None
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("token_not_found", "No such token.")
    return token


def access_profile(user: User, user_id: int) -> User:
    """Everyone signed in sees anyone's profile (name, picture, status line, time zone), as in the
    user search; deactivated, suspended and unconfirmed accounts are not found (User.findable)."""
    return get_active_user(user_id)


def access_person_picture(user: User, user_id: int) -> User:
    """Someone's picture: as their profile (anyone signed in, if findable), and also, once they are no
    longer findable (deactivated, suspended, or never confirmed), to whoever shares a conversation
    with them, where their name and picture still show by their messages and in the member list (as
    Slack keeps a deactivated member's picture), or blocked them (their list of blocks shows it), or is an
    operator (the back office's account page shows it, by 'Remove picture and status');
    others are answered as for no account."""
    person = db.session.get(User, user_id)
    if person is not None and (person.findable or is_operator(user) or _share_a_conversation(user.id, person.id)
                               or has_blocked(user.id, person.id)):
        return person
    raise NotFound("user_not_found", "No such user.")


def _share_a_conversation(user_id: int, other_id: int) -> bool:
    theirs = aliased(Membership)
    return db.session.execute(
        db.select(Membership.conversation_id).join(theirs, theirs.conversation_id == Membership.conversation_id)
        .where(Membership.user_id == user_id, theirs.user_id == other_id).limit(1)).first() is not None


def access_conversation_picture(user: User, conversation_id: int) -> Conversation:
    """A group's picture: its members, and anyone for a public group (it shows in the group search)."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    if not (conversation.is_group and conversation.visibility == "public"):
        access_conversation(user, conversation_id)
    return conversation


def direct_peer_id(conversation: Conversation, user_id: int) -> int | None:
    """The other person of a direct chat between two users, read from its key (`low:high`, which names
    both: no query); None for a key that names no two users (a notices conversation) or not this one."""
    low, _, high = (conversation.direct_key or "").partition(":")
    if not (low.isdigit() and high.isdigit()) or user_id not in (int(low), int(high)):
        return None
    return int(high) if int(low) == user_id else int(low)
