"""Read receipts: how far the other members of a conversation have read, as far as each of them
lets the caller see it (their `read_receipts` privacy setting and blocks: actions.access)."""
from __future__ import annotations

from dataclasses import dataclass

from actions.access import access_conversation, may_see_read_receipts
from extensions import db
from models import Membership, User


@dataclass(frozen=True)
class ReadReceipt:
    user_id: int
    last_read_seq: int


def read_receipts(user: User, conversation_id: int) -> list[ReadReceipt]:
    """The other members' read positions the caller may see (members only)."""
    access_conversation(user, conversation_id)
    members = db.session.execute(db.select(Membership.user_id, Membership.last_read_seq).where(
        Membership.conversation_id == conversation_id, Membership.user_id != user.id)
        .order_by(Membership.user_id)).all()
    return [ReadReceipt(member_id, seq) for member_id, seq in members if may_see_read_receipts(user.id, member_id)]
