"""Blocking: the blocked person can no longer message the blocker directly, send them contact
requests or see their presence (rules in actions.access); a block also ends the contact and any
pending request between the two. The blocked person gets no event of it, but for what they may no
longer see: the blocker's presence and read position are hidden from them at once, as a privacy setting
would hide them, and delivered positions stop at the block both ways (actions.access.delivered_caps).
What they try and the block refuses is answered with codes only a block gives (docs/protocol.md).
"""
from __future__ import annotations

from dataclasses import dataclass

from actions.access import has_blocked, hold_account_unchecked, lock_pair
from actions.contacts import end_request_unchecked, remove_contact_unchecked
from actions.errors import InvalidInput, NotFound
from actions.presence import announce_presence_between
from actions.receipts import receipt_views_between
from actions.validation import check_id
from events import atomic, queue_event
from events.facts import BlockChanged
from extensions import db
from models import Block, ContactRequest, Message, User


@dataclass(frozen=True)
class BlockOutcome:
    block: Block
    created: bool  # False: the block was there already, and nothing changed


@atomic()
def block_user(user: User, user_id: object) -> BlockOutcome:
    """Block someone (again: nothing changes). Their contact and pending requests end. A deactivated or
    suspended account can be blocked (met in a conversation, it may come back); one never confirmed is
    answered as none, as everywhere (User.findable)."""
    user_id = check_id(user_id, "user_id")
    if user_id == user.id:
        raise InvalidInput("cannot_block_self", "You cannot block yourself.")
    # Held before the pair (FOR KEY SHARE; SQLite: the write lock): the purge of accounts never confirmed
    # waits for the block, or deleted the account first (404), never under the block's row. An account
    # never confirmed is nobody to block (404 as none); deactivated and suspended ones may come back.
    blocked = hold_account_unchecked(user_id)
    if blocked is None or blocked.confirmed_at is None:
        raise NotFound("user_not_found", "No such user.")
    lock_pair(user.id, user_id)  # a request accepted or sent at the same moment: ended too, not left in place
    existing = db.session.get(Block, (user.id, user_id))
    if existing is not None:
        return BlockOutcome(existing, created=False)
    views_before = receipt_views_between(user.id, user_id)  # a block hides read positions both ways
    # The messages before the block: those stored when it is made, by id, not by the servers' clocks
    # (delivered_caps). Read under the pair: a group add of the two waits, or was committed (lock_pair).
    newest = db.session.execute(db.select(db.func.coalesce(db.func.max(Message.id), 0))).scalar_one()
    block = Block(blocker_id=user.id, blocked_id=user_id, last_message_id=newest)
    db.session.add(block)
    remove_contact_unchecked(user.id, user_id)
    for request in db.session.execute(db.select(ContactRequest).where(
            ((ContactRequest.requester_id == user.id) & (ContactRequest.recipient_id == user_id))
            | ((ContactRequest.requester_id == user_id) & (ContactRequest.recipient_id == user.id)))).scalars():
        end_request_unchecked(request, user.id)
    db.session.flush()
    queue_event(BlockChanged(user.id, user_id, True))
    views_before.announce()
    announce_presence_between(user.id, user_id)  # hidden both ways now
    return BlockOutcome(block, created=True)


@atomic()
def unblock_user(user: User, user_id: object) -> None:
    """Lift a block of one's own."""
    user_id = check_id(user_id, "user_id")
    if not has_blocked(user.id, user_id):
        raise NotFound("not_blocked", "You have not blocked this person.")
    views_before = receipt_views_between(user.id, user_id)
    db.session.execute(db.delete(Block).where(Block.blocker_id == user.id, Block.blocked_id == user_id))
    queue_event(BlockChanged(user.id, user_id, False))
    views_before.announce()
    announce_presence_between(user.id, user_id)  # as the privacy settings allow again


def list_blocks(user: User) -> list[Block]:
    """The people the user blocked, most recent first."""
    return list(db.session.execute(db.select(Block).where(Block.blocker_id == user.id)
                                   .order_by(Block.created_at.desc(), Block.blocked_id)).scalars())
