"""Who may see or reach whom: contacts, blocks and privacy settings (actions.contacts, actions.blocks,
actions.privacy, actions.presence, actions.receipts). Part of actions.access, the one home of "who
may", which imports every public name here: callers import them from actions.access.

A block holds both ways for messaging, requests and presence: the blocked person cannot reach the
blocker, and the blocker must unblock before reaching them.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Select, case

from actions.errors import Conflict, Forbidden, InvalidInput, NotFound
from extensions import db
from models import Block, Contact, ContactRequest, Conversation, Membership, Message, PrivacySettings, User


def has_blocked(blocker_id: int, blocked_id: int) -> bool:
    return db.session.get(Block, (blocker_id, blocked_id)) is not None


def blockers_of(user_id: int) -> Select:
    """Who blocked `user_id` (a subquery of user ids): their pages hide that person's messages, and
    Web Push sends them none (realtime.web_push_adapter)."""
    blocks = Block.__table__.c  # a Core subquery: a statement built with it runs without the ORM's compile step
    return db.select(blocks.blocker_id).where(blocks.blocked_id == user_id)


def blocked_by(user_id: int) -> Select:
    """Whom `user_id` blocked (a subquery of user ids): they no longer hear of the user's profile changes."""
    blocks = Block.__table__.c
    return db.select(blocks.blocked_id).where(blocks.blocker_id == user_id)


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
    withdraws); anyone else's is not found, so ids cannot be probed. One whose other person is no
    longer findable (User.findable: deactivated, suspended, never confirmed) is not found either,
    as the lists leave it out (actions.contacts.pending_requests): nobody becomes their contact."""
    request = db.session.get(ContactRequest, request_id)
    if request is None or user.id not in (
            (request.recipient_id,) if recipient_only else (request.recipient_id, request.requester_id)):
        raise NotFound("request_not_found", "No such contact request.")
    other = request.requester if request.recipient_id == user.id else request.recipient
    if not other.findable:
        raise NotFound("request_not_found", "No such contact request.")
    return request


def check_may_message_directly(sender: User, recipient_id: int, conversation: Conversation | None = None) -> None:
    """Whether `sender` may start (conversation None) or write in a direct chat with `recipient_id`.
    Blocks refuse both ways. A recipient who allows direct chats from contacts only is reached by
    their contacts, and in a chat they opened or wrote in themselves (as in Telegram, replying is
    consent): anyone else is refused `contacts_only` and can send a contact request instead."""
    blocks = set(db.session.execute(db.select(Block.blocker_id).where(
        ((Block.blocker_id == sender.id) & (Block.blocked_id == recipient_id))
        | ((Block.blocker_id == recipient_id) & (Block.blocked_id == sender.id)))).scalars())
    if sender.id in blocks:
        raise Forbidden("user_blocked", "You blocked this person: unblock them to send a message.")
    if recipient_id in blocks:
        raise Forbidden("cannot_message_user", "This person does not accept messages from you.")
    if privacy_of(recipient_id).direct_chats == "everyone" or are_contacts(recipient_id, sender.id):
        return
    if conversation is not None and _took_part(recipient_id, conversation):
        return
    raise Forbidden("contacts_only", "This person accepts direct chats from their contacts only: "
                                     "send a contact request.")


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


def presence_audiences(viewers_of: Mapping[int, Iterable[int]]) -> dict[int, set[int]]:
    """presence_viewers for many subjects at once (a presence batch: a reconnect storm changes
    thousands together, issue 15): each subject's viewers that may see their presence, by the same
    rule, in a handful of queries per 500 users instead of four queries per subject."""
    pairs = {subject: set(viewers) - {subject} for subject, viewers in viewers_of.items()}
    subjects = sorted(pairs)
    everyone = sorted(set(subjects).union(*pairs.values())) if pairs else []
    audience_of = dict(_in_chunks(subjects, lambda chunk: db.select(PrivacySettings.user_id, PrivacySettings.last_seen)
                                  .where(PrivacySettings.user_id.in_(chunk), PrivacySettings.last_seen != "everyone")))
    hiding = {user_id for (user_id,) in _in_chunks(everyone, lambda chunk: db.select(PrivacySettings.user_id).where(
        PrivacySettings.user_id.in_(chunk), PrivacySettings.last_seen == "nobody"))}  # who hides their own
    blocked = {frozenset(pair) for pair in _in_chunks(subjects, lambda chunk: db.select(
        Block.blocker_id, Block.blocked_id).where(Block.blocker_id.in_(chunk) | Block.blocked_id.in_(chunk)))}
    by_contacts = [subject for subject in subjects if audience_of.get(subject) == "contacts"]
    contacts = set(_in_chunks(by_contacts, lambda chunk: db.select(Contact.user_id, Contact.contact_id).where(
        Contact.user_id.in_(chunk))))
    allowed = {}
    for subject in subjects:
        audience = audience_of.get(subject, "everyone")
        seen_by = {subject} & set(viewers_of[subject])
        if audience != "nobody":
            seen_by |= {viewer for viewer in pairs[subject] if viewer not in hiding
                        and frozenset((subject, viewer)) not in blocked
                        and (audience == "everyone" or (subject, viewer) in contacts)}
        allowed[subject] = seen_by
    return allowed


def _in_chunks(ids: list[int], query) -> list:
    """The rows of `query(chunk)` for every 500 of `ids` (SQLite's limit on bound parameters)."""
    return [row for chunk in _chunks(ids, 500) for row in db.session.execute(query(chunk)).all()]


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


def blocked_members(user_id: int, conversation_id: int) -> set[int]:
    """The members of the conversation who blocked `user_id` or whom they blocked: as their presence,
    a block hides their typing from each other (actions.typing). Two index lookups, whatever the
    conversation's size."""
    members = db.select(Membership.user_id).where(Membership.conversation_id == conversation_id)
    blocked = set(db.session.execute(db.select(Block.blocked_id).where(
        Block.blocker_id == user_id, Block.blocked_id.in_(members))).scalars())
    return blocked | set(db.session.execute(db.select(Block.blocker_id).where(
        Block.blocked_id == user_id, Block.blocker_id.in_(members))).scalars())


def _blocked_either_way(user_id: int, others: list[int]) -> set[int]:
    """Which of `others` blocked `user_id` or were blocked by them."""
    blocked = set(db.session.execute(db.select(Block.blocked_id).where(
        Block.blocker_id == user_id, Block.blocked_id.in_(others))).scalars())
    return blocked | set(db.session.execute(db.select(Block.blocker_id).where(
        Block.blocked_id == user_id, Block.blocker_id.in_(others))).scalars())


def delivered_caps(user_id: int, others: Iterable[int], conversation_id: int) -> dict[int, int]:
    """How far, in the conversation, each of `others` who blocked `user_id` or was blocked by them may
    be seen by the other to have received it: up to its last message stored before the (first) block
    between them (Block.last_message_id; 0 if none), as WhatsApp never shows a blocked person's messages
    delivered. A delivered position that went on moving would tell that the other's device is online,
    which the block hides (presence). Those not in a block are not in the answer: no cap. One query for
    every 500 of `others`, however many blocks there are among them."""
    others = sorted(set(others) - {user_id})
    other = case((Block.blocker_id == user_id, Block.blocked_id), else_=Block.blocker_id)

    def caps(chunk):
        first = db.select(other.label("other"), db.func.min(Block.last_message_id).label("last_message_id")).where(
            ((Block.blocker_id == user_id) & Block.blocked_id.in_(chunk))
            | ((Block.blocked_id == user_id) & Block.blocker_id.in_(chunk))).group_by(other).subquery()
        # Within a conversation ids grow with seqs (actions.messages._store numbers and inserts under its lock).
        before = db.select(db.func.coalesce(db.func.max(Message.seq), 0)).where(
            Message.conversation_id == conversation_id, Message.id <= first.c.last_message_id).scalar_subquery()
        return db.select(first.c.other, before)
    return dict(_in_chunks(others, caps))


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
