"""Resync after a reconnect (docs/protocol.md, Resync): the changes since the watermark of each of a
client's conversations, read for all of them together. A reconnect storm resyncs thousands of
clients at once (issue 15); reading each conversation on its own (its access check, its messages,
their senders, mentions, reactions and quotes) was about nine statements per conversation, and the
`sync` event a third of the worker's time in the storm."""
from __future__ import annotations

from sqlalchemy import and_, func, or_
from sqlalchemy.orm import selectinload

from actions.access import access_conversation, readable_conversation_ids
from actions.errors import ActionError
from actions.messages import ChangeSet
from extensions import db
from models import Membership, Message, User


def changes_since_each(user: User, cursors: list[tuple[int, int]],
                       limit: int = 100) -> dict[int, ChangeSet | ActionError]:
    """actions.messages.changes_since for every (conversation_id, since) at once, by conversation id:
    a ChangeSet, or the ActionError that conversation alone is refused with. The access rule is
    access_conversation's (readable_conversation_ids for all of them, the refusal's own words for the
    others); the messages of all of them in one query, at most `limit` + 1 each."""
    ids = [conversation_id for conversation_id, _since in cursors]
    readable = set(db.session.execute(readable_conversation_ids(user).where(
        Membership.conversation_id.in_(ids))).scalars())
    answers: dict[int, ChangeSet | ActionError] = {}
    for conversation_id in ids:
        if conversation_id not in readable:
            try:
                access_conversation(user, conversation_id)  # says why (not found, not a member)
                readable.add(conversation_id)  # joined meanwhile
            except ActionError as error:
                answers[conversation_id] = error
    wanted = [(conversation_id, since) for conversation_id, since in cursors if conversation_id in readable]
    rows: dict[int, list[Message]] = {conversation_id: [] for conversation_id, _since in wanted}
    if wanted:
        rank = func.row_number().over(partition_by=Message.conversation_id, order_by=Message.revision).label("rank")
        changed = db.select(Message.id, rank).where(or_(*(
            and_(Message.conversation_id == conversation_id, Message.revision > since,
                 Message.revision <= _last_revision_read(conversation_id, since, limit))
            for conversation_id, since in wanted))).subquery()
        for message in db.session.execute(
                db.select(Message).join(changed, changed.c.id == Message.id).where(changed.c.rank <= limit + 1)
                .options(selectinload(Message.sender)).order_by(Message.conversation_id, Message.revision)).scalars():
            rows[message.conversation_id].append(message)
    for conversation_id, since in wanted:
        messages = rows[conversation_id]
        # The cursor comes from the rows read (as changes_since's): never a later look at the conversation.
        answers[conversation_id] = ChangeSet(messages=messages[:limit], has_more=len(messages) > limit,
                                             revision=messages[:limit][-1].revision if messages else since)
    return answers


def _last_revision_read(conversation_id: int, since: int, limit: int):
    """The revision of the `limit` + 1st change after `since` (or past every one when there are fewer):
    the upper end of that conversation's range, so that ranking its changes reads `limit` + 1 index
    entries, not every change since a watermark a million messages back (issue 15, bench/history.py)."""
    nth = (db.select(_LATER.c.revision).where(_LATER.c.conversation_id == conversation_id, _LATER.c.revision > since)
           .order_by(_LATER.c.revision).offset(limit).limit(1).scalar_subquery())
    return func.coalesce(nth, NO_REVISION_LIMIT)


NO_REVISION_LIMIT = 2**31 - 1  # revisions are 32-bit integers
# The table under another name, made once: an ORM alias made per conversation proxied every column of
# messages each time (17% of the worker in the 2,000-client storm's profile, bench/storm.py).
_LATER = Message.__table__.alias("later")
