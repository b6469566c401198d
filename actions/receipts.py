"""Delivery and read receipts (the ticks): how far each member's clients have received a
conversation (`last_delivered_seq`, acked by a client) and how far they have read it
(`last_read_seq`, actions.conversations.mark_read), as far as each reader lets the caller see it
(their `read_receipts` privacy setting and blocks: actions.access). Read implies delivered.

When a position passes messages of others, their authors are told (`ReceiptMoved`): they are the
only ones whose ticks change, so a big group is not told every member's every step. When who may see
a member's read position changes (their privacy setting: actions.privacy; a block or a contact
between two members: actions.blocks, actions.contacts), the members whose view changed are told
(`ReceiptVisibilityChanged`), per conversation they share: shown again, or hidden."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, case, func, update
from sqlalchemy.orm import aliased

from actions.access import access_conversation, delivered_caps, has_blocked, read_receipt_viewers, visible_readers
from events import atomic, queue_event
from events.facts import ConversationRead, ReceiptMoved, ReceiptVisibilityChanged
from events.unit_of_work import set_as_written
from extensions import db
from models import Membership, Message, User

MEMBERSHIPS = Membership.__table__
MEMBERS = aliased(Membership)  # the authors' memberships
READ_OWN = (update(MEMBERSHIPS).where(MEMBERSHIPS.c.id == bindparam("membership_id"))
            .values(last_read_seq=bindparam("read"), last_delivered_seq=bindparam("delivered")))


@dataclass(frozen=True)
class ReadReceipt:
    user: User
    last_delivered_seq: int
    last_read_seq: int | None  # None: the reader does not let the caller see it

    @property
    def user_id(self) -> int:
        return self.user.id


def read_receipts(user: User, conversation_id: int) -> list[ReadReceipt]:
    """Every other member's delivered position, and their read position where they let the
    caller see it (members only)."""
    access_conversation(user, conversation_id)
    members = db.session.execute(
        db.select(User, Membership.last_delivered_seq, Membership.last_read_seq)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.conversation_id == conversation_id, Membership.user_id != user.id)
        .order_by(Membership.user_id)).all()
    visible = visible_readers(user.id, [member.id for member, _, _ in members])
    caps = delivered_caps(user.id, [member.id for member, _, _ in members], conversation_id)  # blocks
    return [ReadReceipt(member, min(max(delivered, read), caps.get(member.id, max(delivered, read))),
                        read if member.id in visible else None)
            for member, delivered, read in members]


@atomic()
def mark_delivered(user: User, conversation_id: int, seq: int) -> Membership:
    """One of the user's clients received the conversation up to `seq`: the position moves forward
    (never back), up to the newest message; the authors it passes are told."""
    membership = access_conversation(user, conversation_id)
    seq = min(seq, membership.conversation.last_seq)
    if seq > membership.last_delivered_seq:
        before = membership.last_delivered_seq
        membership.last_delivered_seq = seq
        announce_receipts(membership, delivered_before=before, read_before=membership.last_read_seq)
    return membership


def announce_receipts(membership: Membership, delivered_before: int, read_before: int) -> None:
    """Tell the authors of the messages the member's positions just passed who are members still
    (called by the action that moved them, which authorized): delivered to all of them, read to those
    who may see it."""
    membership.last_delivered_seq = max(membership.last_delivered_seq, membership.last_read_seq)
    low = min(delivered_before, read_before) if membership.last_read_seq > read_before else delivered_before
    high = membership.last_delivered_seq
    if high <= low:
        return
    passed = db.session.execute(
        db.select(Message.sender_id,
                  func.max(case((Message.seq > delivered_before, 1), else_=0)),
                  func.max(case(((Message.seq > read_before) & (Message.seq <= membership.last_read_seq), 1),
                                else_=0)))
        .join(MEMBERS, (MEMBERS.conversation_id == Message.conversation_id) & (MEMBERS.user_id == Message.sender_id))
        .where(Message.conversation_id == membership.conversation_id, Message.seq > low, Message.seq <= high,
               Message.sender_id != membership.user_id)  # authors still members: one who left is told nothing
        .group_by(Message.sender_id)).all()
    delivered_to = {author for author, delivered, _ in passed if delivered}
    read_moved = {author for author, _, read in passed if read}
    may_see = read_receipt_viewers(membership.user_id, delivered_to | read_moved)
    visible = sorted((delivered_to | read_moved) & may_see)
    hidden = set(delivered_to - may_see)
    capped: dict[int, list[int]] = {}  # across a block: delivered only as far as the messages before it
    for author, cap in delivered_caps(membership.user_id, hidden, membership.conversation_id).items():
        hidden.discard(author)
        if min(high, cap) > min(delivered_before, cap):
            capped.setdefault(min(high, cap), []).append(author)
    hidden |= set(capped.pop(high, []))
    if visible or hidden:
        queue_event(ReceiptMoved(membership.conversation_id, membership.user_id, high,
                                 membership.last_read_seq, tuple(visible), tuple(sorted(hidden))))
    for delivered, authors in sorted(capped.items()):
        queue_event(ReceiptMoved(membership.conversation_id, membership.user_id, delivered,
                                 membership.last_read_seq, (), tuple(sorted(authors))))


def read_own_message_unchecked(membership: Membership, seq: int) -> None:
    """The member wrote message `seq`, or it is the note of what they did (actions.group_notes):
    not news to them. Their read position passes it, in every tab (`ConversationRead`), and what
    came before it that they had not read is read too: its authors' ticks follow. Decides nothing."""
    if seq <= membership.last_read_seq:
        return
    read_before, delivered_before = membership.last_read_seq, membership.last_delivered_seq
    delivered = max(delivered_before, seq)
    # One UPDATE built once, not the ORM's flush of the changed row (every send does this), on the unit's
    # connection: a Core statement needs nothing of Session.execute (actions.messages._store).
    db.session.connection().execute(READ_OWN, {"membership_id": membership.id, "read": seq, "delivered": delivered})
    set_as_written(membership, last_read_seq=seq, last_delivered_seq=delivered)
    queue_event(ConversationRead(membership.user_id, membership.conversation_id, seq))
    if read_before < seq - 1:  # only then can it pass others' messages (`seq` is the member's own, or nobody's)
        announce_receipts(membership, delivered_before=delivered_before, read_before=read_before)


@dataclass(frozen=True)
class ReceiptViews:
    """Who may see some readers' read positions, taken before a change that may alter it (a privacy
    setting, a block, a contact): `announce()` after the change tells those whose view changed."""

    views: tuple[tuple[int, dict[int, list[int]], frozenset[int]], ...]  # reader, audience, allowed before
    in_block_before: bool | None = None  # between two people: whether a block stood between them (delivered_caps)

    def announce(self) -> None:
        blocked = None
        if self.in_block_before is not None and self.views:
            first, second = self.views[0][0], self.views[1][0]
            blocked = has_blocked(first, second) or has_blocked(second, first)
        moved = blocked is not None and blocked != self.in_block_before  # delivered capped or shown whole now
        for reader_id, audience, allowed_before in self.views:
            _announce_receipt_visibility(reader_id, audience, allowed_before, delivered_moved=moved)


def receipt_views(reader_id: int) -> ReceiptViews:
    """The reader's read positions as the other members of each of their conversations may see them."""
    mine = aliased(Membership)
    audience: dict[int, list[int]] = {}
    for conversation_id, user_id in db.session.execute(
            db.select(Membership.conversation_id, Membership.user_id)
            .join(mine, mine.conversation_id == Membership.conversation_id)
            .where(mine.user_id == reader_id, Membership.user_id != reader_id)):
        audience.setdefault(conversation_id, []).append(user_id)
    return ReceiptViews(((reader_id, audience, _allowed(reader_id, audience)),))


def receipt_views_between(first_id: int, second_id: int) -> ReceiptViews:
    """Each one's read positions as the other may see them, in the conversations they share."""
    mine = aliased(Membership)
    shared = list(db.session.execute(
        db.select(Membership.conversation_id).join(mine, mine.conversation_id == Membership.conversation_id)
        .where(Membership.user_id == first_id, mine.user_id == second_id)).scalars())
    if not shared:
        return ReceiptViews(())
    views = []
    for reader_id, viewer_id in ((first_id, second_id), (second_id, first_id)):
        audience = {conversation_id: [viewer_id] for conversation_id in shared}
        views.append((reader_id, audience, _allowed(reader_id, audience)))
    return ReceiptViews(tuple(views), has_blocked(first_id, second_id) or has_blocked(second_id, first_id))


def _allowed(reader_id: int, audience: dict[int, list[int]]) -> frozenset[int]:
    return frozenset(read_receipt_viewers(reader_id, {user_id for members in audience.values() for user_id in members}))


def _announce_receipt_visibility(reader_id: int, audience: dict[int, list[int]],
                                 allowed_before: frozenset[int], delivered_moved: bool = False) -> None:
    """Compare who may see the reader's read position now with `allowed_before`, and in each
    conversation of `audience` tell the people whose view changed the reader's positions there, the
    read one null for those it is hidden from now (their pages draw the ticks again). With
    `delivered_moved` (a block between the two of a ReceiptViews was lifted, or made), the delivered
    position they may see changed too: everyone of `audience` is told."""
    allowed_now = _allowed(reader_id, audience)
    shown, hidden = allowed_now - allowed_before, allowed_before - allowed_now
    if delivered_moved:
        everyone = {user_id for members in audience.values() for user_id in members}
        shown, hidden = shown | (everyone & allowed_now), hidden | (everyone - allowed_now)
    if not shown and not hidden:
        return
    positions = db.session.execute(
        db.select(Membership.conversation_id, Membership.last_delivered_seq, Membership.last_read_seq)
        .where(Membership.user_id == reader_id, Membership.conversation_id.in_(list(audience)))).all()
    for conversation_id, delivered, read in sorted(positions):
        members = set(audience[conversation_id])
        if members & (shown | hidden):
            queue_event(ReceiptVisibilityChanged(conversation_id, reader_id, max(delivered, read), read,
                                                 tuple(sorted(members & shown)), tuple(sorted(members & hidden))))
