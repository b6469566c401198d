"""The one home of "who may": who is an operator, who may read, post or manage here.

`access_*` load a thing for a caller and authorize, or refuse (403, or 404 when it does not
exist); `is_operator` is the one test of operator-ness, for callers that only branch on it.
The `get_*` here only load (404 when missing) and decide nothing: the rules below build on
them, and so do actions whose callers authorized already.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from flask import current_app
from sqlalchemy import Select

from actions.errors import Conflict, Forbidden, InvalidInput, NotFound
from extensions import db
from models import ApiToken, Block, Contact, ContactRequest, Conversation, Membership, Message, PrivacySettings, User
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
    """An active account (to add, message or notify); deactivated ones are not found."""
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise NotFound("user_not_found", "No such user.")
    return user


def access_conversation(user: User, conversation_id: int) -> Membership:
    """Members read a conversation; everyone else is refused (403, or 404 if it does not exist)."""
    membership = db.session.execute(
        db.select(Membership).where(
            Membership.conversation_id == conversation_id, Membership.user_id == user.id
        )
    ).scalar_one_or_none()
    if membership is not None:
        return membership
    if db.session.get(Conversation, conversation_id) is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    raise Forbidden("not_a_member", "You are not a member of this conversation.")


def readable_conversation_ids(user: User) -> Select:
    """The conversations the user may read (a subquery of ids): access_conversation's rule for all at once."""
    return db.select(Membership.conversation_id).where(Membership.user_id == user.id)


def access_conversation_for_posting(user: User, conversation_id: int) -> Membership:
    """Members post, unless the group is archived (read-only); in a direct chat, unless a block or
    the other person's privacy refuses it (check_may_message_directly)."""
    membership = access_conversation(user, conversation_id)
    if membership.conversation.archived_at is not None:
        raise Forbidden("conversation_archived", "This conversation is archived: nobody can post.")
    if membership.conversation.kind == "direct":  # blocks and the other person's privacy
        peer = _direct_peer(user, membership.conversation)
        if peer is not None:
            check_may_message_directly(user, peer, membership.conversation)
    return membership


def get_group(conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or not conversation.is_group:
        raise NotFound("group_not_found", "No such group.")
    return conversation


def access_group_for_managing(user: User, conversation_id: int) -> Membership:
    """The group's owners and admins manage members, names and roles."""
    get_group(conversation_id)
    membership = access_conversation(user, conversation_id)
    if membership.role not in MANAGER_ROLES:
        raise Forbidden("not_a_group_admin", "Only the group's owners and admins can do that.")
    return membership


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
    if group.archived_at is not None:
        raise Forbidden("conversation_archived", "This group is archived.")


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
    adds someone who blocked them (as in WhatsApp): they would reach them through the group."""
    added = get_active_user(user_id)
    if added.id != user.id and current_app.config["GROUP_ADD_POLICY"] == "nobody":
        raise Forbidden("cannot_add_user", "People here join groups themselves: nobody can add them.")
    if added.id != user.id and has_blocked(added.id, user.id):
        raise Forbidden("cannot_add_user", "This person cannot be added to groups by you.")
    return added


def get_message(message_id: int) -> Message:
    """Any message (NotFound otherwise); decides nothing: access_own_message and access_message below
    authorize, operators' actions check the operator first."""
    message = db.session.get(Message, message_id)
    if message is None:
        raise NotFound("message_not_found", "No such message.")
    return message


def access_own_message(user: User, message_id: int) -> Message:
    """Authors edit and delete their own messages, in conversations they still belong to."""
    message = get_message(message_id)
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
    """A message in a conversation the user belongs to (to react to, reply to, or find in its history)."""
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
    user search; deactivated accounts are not found."""
    return get_active_user(user_id)


def access_conversation_picture(user: User, conversation_id: int) -> Conversation:
    """A group's picture: its members, and anyone for a public group (it shows in the group search)."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFound("conversation_not_found", "No such conversation.")
    if not (conversation.is_group and conversation.visibility == "public"):
        access_conversation(user, conversation_id)
    return conversation


# Contacts, blocks and privacy (actions.contacts, actions.blocks, actions.privacy). A block holds
# both ways for messaging, requests and presence: the blocked person cannot reach the blocker, and
# the blocker must unblock before reaching them.

def has_blocked(blocker_id: int, blocked_id: int) -> bool:
    return db.session.get(Block, (blocker_id, blocked_id)) is not None


def blockers_of(user_id: int) -> Select:
    """Who blocked `user_id` (a subquery of user ids): their pages hide that person's messages, and
    Web Push sends them none (realtime.web_push_adapter)."""
    return db.select(Block.blocker_id).where(Block.blocked_id == user_id)


def are_contacts(user_id: int, other_id: int) -> bool:
    return db.session.get(Contact, (user_id, other_id)) is not None


def privacy_of(user_id: int) -> PrivacySettings:
    """A user's privacy settings, the defaults (everyone) when they never changed them. Not added
    to the session: only actions.privacy stores a row."""
    return db.session.get(PrivacySettings, user_id) or PrivacySettings(
        user_id=user_id, direct_chats="everyone", last_seen="everyone", read_receipts="everyone")


def access_user_for_contact_request(user: User, recipient: User) -> User:
    """Anyone may ask anyone to be a contact, except themselves, someone they blocked, or someone
    who blocked them (told apart from nothing else: a block is never revealed)."""
    if recipient.id == user.id:
        raise InvalidInput("cannot_add_self", "You cannot add yourself as a contact.")
    if has_blocked(user.id, recipient.id):
        raise Forbidden("user_blocked", "You blocked this person: unblock them first.")
    if has_blocked(recipient.id, user.id):
        raise Forbidden("cannot_request_contact", "This person does not accept contact requests from you.")
    if are_contacts(user.id, recipient.id):
        raise Conflict("already_contacts", "You are contacts already.")
    return recipient


def access_contact_request(user: User, request_id: int, *, recipient_only: bool) -> ContactRequest:
    """A pending request its recipient answers (and, unless `recipient_only`, its requester
    withdraws); anyone else's is not found, so ids cannot be probed."""
    request = db.session.get(ContactRequest, request_id)
    if request is None or user.id not in (
            (request.recipient_id,) if recipient_only else (request.recipient_id, request.requester_id)):
        raise NotFound("request_not_found", "No such contact request.")
    return request


def check_may_message_directly(sender: User, recipient: User, conversation: Conversation | None = None) -> None:
    """Whether `sender` may start (conversation None) or write in a direct chat with `recipient`.
    Blocks refuse both ways. A recipient who allows direct chats from contacts only is reached by
    their contacts, and in a chat they opened or wrote in themselves (as in Telegram, replying is
    consent): anyone else is refused `contacts_only` and can send a contact request instead."""
    blocks = set(db.session.execute(db.select(Block.blocker_id).where(
        ((Block.blocker_id == sender.id) & (Block.blocked_id == recipient.id))
        | ((Block.blocker_id == recipient.id) & (Block.blocked_id == sender.id)))).scalars())
    if sender.id in blocks:
        raise Forbidden("user_blocked", "You blocked this person: unblock them to send a message.")
    if recipient.id in blocks:
        raise Forbidden("cannot_message_user", "This person does not accept messages from you.")
    if privacy_of(recipient.id).direct_chats == "everyone" or are_contacts(recipient.id, sender.id):
        return
    if conversation is not None and _took_part(recipient.id, conversation):
        return
    raise Forbidden("contacts_only", "This person accepts direct chats from their contacts only: "
                                     "send a contact request.")


def _direct_peer(user: User, conversation: Conversation) -> User | None:
    """The other person of a direct chat (its key names both)."""
    low, _, high = (conversation.direct_key or "").partition(":")
    if not (low.isdigit() and high.isdigit()):
        return None
    other_id = int(high) if int(low) == user.id else int(low)
    return db.session.get(User, other_id)


def _took_part(user_id: int, conversation: Conversation) -> bool:
    if conversation.created_by_id == user_id:
        return True
    return db.session.execute(db.select(Message.id).where(
        Message.conversation_id == conversation.id, Message.sender_id == user_id).limit(1)).first() is not None


def _shared_with(viewer_id: int, owner_id: int, setting: str) -> bool:
    """Whether the owner's `setting` (last_seen, read_receipts) lets the viewer see it. Nobody sees
    it across a block (either way), and whoever hides their own from everyone sees nobody's (as
    WhatsApp and Telegram do: it is an exchange)."""
    if viewer_id == owner_id:
        return True
    if has_blocked(owner_id, viewer_id) or has_blocked(viewer_id, owner_id):
        return False
    if getattr(privacy_of(viewer_id), setting) == "nobody":
        return False
    audience = getattr(privacy_of(owner_id), setting)
    return audience == "everyone" or (audience == "contacts" and are_contacts(owner_id, viewer_id))


def may_see_presence(viewer_id: int, subject_id: int) -> bool:
    """Whether someone is online, and when they were last seen, follow their `last_seen` setting."""
    return _shared_with(viewer_id, subject_id, "last_seen")


def presence_viewers(subject_id: int, viewer_ids: Iterable[int]) -> set[int]:
    """Which of `viewer_ids` may see `subject_id`'s presence: may_see_presence's rule (_shared_with)
    for many viewers at once, in four queries per 500 of them (a presence change told to a big group)."""
    return _audience(subject_id, viewer_ids, "last_seen")


def read_receipt_viewers(reader_id: int, viewer_ids: Iterable[int]) -> set[int]:
    """Which of `viewer_ids` may see how far `reader_id` has read: may_see_read_receipts in bulk."""
    return _audience(reader_id, viewer_ids, "read_receipts")


def visible_readers(viewer_id: int, reader_ids: Iterable[int]) -> set[int]:
    """Which of `reader_ids` let `viewer_id` see how far they have read (may_see_read_receipts for
    one viewer and many readers: a group's receipts)."""
    return _visible_to(viewer_id, reader_ids, "read_receipts")


def _audience(subject_id: int, viewer_ids: Iterable[int], setting: str) -> set[int]:
    viewers = set(viewer_ids)
    allowed = {subject_id} & viewers
    viewers.discard(subject_id)
    audience = getattr(privacy_of(subject_id), setting)
    if audience == "nobody" or not viewers:
        return allowed
    for chunk in _chunks(sorted(viewers), 500):
        refused = _blocked_either_way(subject_id, chunk)
        refused |= set(db.session.execute(db.select(PrivacySettings.user_id).where(  # who hides their own
            PrivacySettings.user_id.in_(chunk), getattr(PrivacySettings, setting) == "nobody")).scalars())
        candidates = set(chunk) - refused
        if audience == "contacts":
            candidates &= set(db.session.execute(db.select(Contact.contact_id).where(
                Contact.user_id == subject_id, Contact.contact_id.in_(candidates))).scalars())
        allowed |= candidates
    return allowed


def _blocked_either_way(user_id: int, others: list[int]) -> set[int]:
    """Which of `others` blocked `user_id` or were blocked by them."""
    blocked = set(db.session.execute(db.select(Block.blocked_id).where(
        Block.blocker_id == user_id, Block.blocked_id.in_(others))).scalars())
    return blocked | set(db.session.execute(db.select(Block.blocker_id).where(
        Block.blocked_id == user_id, Block.blocker_id.in_(others))).scalars())


def visible_presences(viewer_id: int, subject_ids: Iterable[int]) -> set[int]:
    """Whose presence among `subject_ids` the viewer may see (may_see_presence for one viewer and
    many subjects: a member list or a sidebar)."""
    return _visible_to(viewer_id, subject_ids, "last_seen")


def _visible_to(viewer_id: int, owner_ids: Iterable[int], setting: str) -> set[int]:
    """Whose `setting` among `owner_ids` the viewer may see: _shared_with's rule for one viewer and
    many owners (_audience's the other way round), in five queries per 500 of them."""
    owners = set(owner_ids)
    allowed = {viewer_id} & owners
    owners.discard(viewer_id)
    if not owners or getattr(privacy_of(viewer_id), setting) == "nobody":  # hides their own: sees nobody's
        return allowed
    column = getattr(PrivacySettings, setting)
    for chunk in _chunks(sorted(owners), 500):
        refused = _blocked_either_way(viewer_id, chunk)
        audiences = dict(db.session.execute(db.select(PrivacySettings.user_id, column).where(
            PrivacySettings.user_id.in_(chunk), column != "everyone")).all())
        contacts = set(db.session.execute(db.select(Contact.user_id).where(
            Contact.contact_id == viewer_id, Contact.user_id.in_(
                [owner for owner, audience in audiences.items() if audience == "contacts"]))).scalars())
        allowed |= {owner for owner in chunk if owner not in refused
                    and (audiences.get(owner, "everyone") == "everyone" or owner in contacts)}
    return allowed


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    return (items[start:start + size] for start in range(0, len(items), size))


def may_see_read_receipts(viewer_id: int, reader_id: int) -> bool:
    """How far someone has read follows their `read_receipts` setting."""
    return _shared_with(viewer_id, reader_id, "read_receipts")
