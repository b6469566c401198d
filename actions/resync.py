"""Resync after a reconnect (docs/protocol.md, Resync): the changes since the watermark of each of a
client's conversations, read for all of them together. A reconnect storm resyncs thousands of
clients at once (issue 15); reading each conversation on its own (its access check, its messages,
their senders, mentions, reactions and quotes) was about nine statements per conversation, and the
`sync` event a third of the worker's time in the storm. Now: the user's conversations, the changes
of all the cursors with their senders, files and quotes, and their mentions and reactions, each
statement built once per number of cursors and read as row tuples (actions.message_rows)."""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Integer, Select, and_, bindparam, func, or_, select

from actions.access import access_conversation, list_readable_conversation_ids
from actions.errors import ActionError
from actions.message_rows import (
    MESSAGES,
    MessageRow,
    join_message_parts,
    load_mentions_and_reactions,
    message_columns,
    message_parts,
    read_message,
)
from actions.messages import ChangeSet
from extensions import db
from models import User


def changes_since_each(user: User, cursors: list[tuple[int, int]],
                       limit: int = 100) -> dict[int, ChangeSet | ActionError]:
    """actions.messages.changes_since for every (conversation_id, since) at once, by conversation id:
    a ChangeSet (its messages actions.message_rows.MessageRow), or the ActionError that conversation
    alone is refused with. The access rule is access_conversation's (the user's conversations,
    list_readable_conversation_ids; the refusal's own words for the others); the messages of all of
    them in one query, at most `limit` + 1 each."""
    readable = set(list_readable_conversation_ids(user.id))
    answers: dict[int, ChangeSet | ActionError] = {}
    for conversation_id, _since in cursors:
        if conversation_id not in readable:
            try:
                access_conversation(user, conversation_id)  # says why (not found, not a member)
                readable.add(conversation_id)  # joined meanwhile
            except ActionError as error:
                answers[conversation_id] = error
    wanted = [(conversation_id, since) for conversation_id, since in cursors if conversation_id in readable]
    rows: dict[int, list[MessageRow]] = {conversation_id: [] for conversation_id, _since in wanted}
    if wanted:
        parameters = {"limit": limit, "read_each": limit + 1}
        for number, (conversation_id, since) in enumerate(wanted):
            parameters |= {f"conversation_{number}": conversation_id, f"since_{number}": since}
        for row in db.session.execute(_changes_of(len(wanted)), parameters):
            message = read_message(row)
            rows[message.conversation_id].append(message)
    load_mentions_and_reactions([message for messages in rows.values() for message in messages[:limit]])
    for conversation_id, since in wanted:
        messages = rows[conversation_id]
        # The cursor comes from the rows read (as changes_since's): never a later look at the conversation.
        answers[conversation_id] = ChangeSet(messages=messages[:limit], has_more=len(messages) > limit,
                                             revision=messages[:limit][-1].revision if messages else since)
    return answers


@lru_cache(maxsize=64)
def _changes_of(cursor_count: int) -> Select:
    """The changes after each cursor (`conversation_<n>`, `since_<n>`), at most `limit` + 1 each, with
    their senders, files and quotes: one statement, built once per number of cursors (a client asks
    with as many as it has conversations, then again for the few still behind)."""
    limit = bindparam("limit", type_=Integer)
    ranges = [and_(MESSAGES.c.conversation_id == bindparam(f"conversation_{number}", type_=Integer),
                   MESSAGES.c.revision > bindparam(f"since_{number}", type_=Integer),
                   MESSAGES.c.revision <= _last_revision_read(number, limit))
              for number in range(cursor_count)]
    rank = func.row_number().over(partition_by=MESSAGES.c.conversation_id, order_by=MESSAGES.c.revision).label("rank")
    changed = select(MESSAGES.c.id, rank).where(or_(*ranges)).subquery("changed")
    parts = message_parts(MESSAGES)
    statement = select(*message_columns(parts)).select_from(MESSAGES).join(changed, changed.c.id == MESSAGES.c.id)
    # `limit` + 1 as a parameter of its own: two integer parameters added in SQL would be added in the
    # type PostgreSQL gives the first (smallint for a small one: models.database.bind_integers_as_they_are).
    read_each = bindparam("read_each", type_=Integer)
    return (join_message_parts(statement, parts).where(changed.c.rank <= read_each)
            .order_by(MESSAGES.c.conversation_id, MESSAGES.c.revision))


def _last_revision_read(number: int, limit):
    """The revision of the `limit` + 1st change after cursor `number`'s `since` (or past every one
    when there are fewer): the upper end of that conversation's range, so that ranking its changes
    reads `limit` + 1 index entries, not every change since a watermark a million messages back
    (issue 15, bench/history.py)."""
    nth = (select(_LATER.c.revision)
           .where(_LATER.c.conversation_id == bindparam(f"conversation_{number}", type_=Integer),
                  _LATER.c.revision > bindparam(f"since_{number}", type_=Integer))
           .order_by(_LATER.c.revision).offset(limit).limit(1).scalar_subquery())
    return func.coalesce(nth, NO_REVISION_LIMIT)


NO_REVISION_LIMIT = 2**31 - 1  # revisions are 32-bit integers
# The table under another name, made once: an ORM alias made per conversation proxied every column of
# messages each time (17% of the worker in the 2,000-client storm's profile, bench/storm.py).
_LATER = MESSAGES.alias("later")
