"""Full-text search of messages: one function for every caller, one implementation per database.

What a search means, on every database: the query is split into terms at whitespace, and a
message matches when its text contains every term anywhere, ignoring case: "watch" finds
"Smartwatches". Parts of words, not whole words, because Chinese is written without spaces:
"世界" must find "你好世界". Nothing in a query is syntax: quotes, `*`, `-`, `OR`, `NEAR` and `%`
are text to find. Results come newest first (by id); the next page starts `before_id` the last.

SQLite: an FTS5 table with the `trigram` tokenizer (migration 0004). FTS5's word tokenizer,
`unicode61`, was rejected: it cuts text at spaces and punctuation only, so a Chinese sentence is
one token ("世界" would not find "你好世界") and no word is found by a part of it. `trigram`
indexes every run of 3 characters, which serves substring search in any script, the same search
as the back office's LIKE filter and as pg_trgm on PostgreSQL. It costs a bigger index and gives
no stemming or ranking. Each term of 3 or more characters becomes one quoted FTS5 string (`"`
doubled), answered exactly by the index. Shorter terms cannot use a trigram index: they are
matched with LIKE, which scans the messages in scope (all of them in the back office, the
user's conversations in a chat search; on SQLite, a chat search whose conversations hold a fair share
of the messages looks among the newest messages first: `newest_matches`). Many Chinese words have
2 characters: a query made only of such words scans.

PostgreSQL: ILIKE on every term, served by a GIN index with pg_trgm's `gin_trgm_ops` for terms
of 3 or more characters. pg_trgm takes trigrams from letters and digits as the database's
LC_CTYPE defines them: under the C ctype, Chinese characters are not letters, so Chinese terms
are found all the same but through a full scan of the index. Create the database with a UTF-8
ctype (C.UTF-8, en_US.UTF-8) to have them indexed.

Case: SQLite's trigram index ignores case in every script; its LIKE (terms of 1 or 2 characters)
only for ASCII letters. PostgreSQL follows the database's LC_CTYPE (under C: ASCII letters only).

Visibility is the caller's decision, not the search's: operators see hidden and deleted messages
too; the chat's search will pass `include_removed=False` and only the user's conversations.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, bindparam, column, func, table

from actions.validation import SEARCH_QUERY_MAX_LENGTH, check_int, check_limit, check_search_query, check_string
from extensions import db
from long_reads import long_read
from models import Conversation, Message
from models.database import LIKE_ESCAPE, contains_pattern
from models.search_index import FTS_TABLE, TRIGRAM_LENGTH

# The FTS5 table, as SQL sees it; not a model, so no migration or autogenerate ever sees it.
# Its hidden column named like the table is the left side of MATCH.
fts_table = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


@dataclass(frozen=True)
class SearchPage:
    messages: list[Message]  # newest first
    has_more: bool  # then ask again with before_id=messages[-1].id


def search_messages(query: object, *, conversation_ids: Collection[int] | Select | None = None,
                    limit: object = 50, before_id: object = None, include_removed: bool = True) -> SearchPage:
    """Messages whose text contains every term of `query`, newest first, in the given conversations."""
    terms = check_search_query(query)
    limit = check_limit(limit)
    before_id = check_int(before_id, "before_id", minimum=1, required=False)
    if conversation_ids is not None and not isinstance(conversation_ids, Select) and not conversation_ids:
        return SearchPage(messages=[], has_more=False)
    conditions = [] if include_removed else [Message.hidden_at.is_(None), Message.deleted_at.is_(None)]
    rows = newest_matches(terms, conversation_ids, conditions, limit + 1, before_id)
    return SearchPage(messages=rows[:limit], has_more=len(rows) > limit)


# SQLite: how many of the index's newest matches a search looks among first (newest_matches).
RECENT_MATCHES = 2_000


def newest_matches(terms: list[str], conversation_ids: Collection[int] | Select | None,
                   conditions: list[ColumnElement[bool]], count: int, before_id: int | None) -> list[Message]:
    """The newest `count` messages (by id, before `before_id`) matching every term, in the given
    conversations (None: all), meeting the caller's `conditions` too.

    SQLite: the search index gives every match at once, of the whole server, and the conversations'
    index every message in scope: a search that joins them costs as much as the server holds (300 ms of
    a gevent loop that SQLite's calls block, for a common word among a million messages). So the index's
    RECENT_MATCHES newest matches (before the cursor) are read, then looked among, each message found by
    its id (the conversations are checked on the row, `conversation_id + 0`, so that SQLite does not read
    the scope by its index instead): that answers whenever the scope holds `count` of them (a busy
    conversation, any common word) or they are all the matches there are (a rare word), in about 3 ms.
    Terms too short for the index are looked for among the RECENT_MATCHES newest messages likewise.
    A scope too small a part of the server's messages to hold `count` of them, if the words are spread
    evenly (a quiet conversation), goes to the whole search at once, as does one the window did not
    answer; that one is a long read (long_reads.py: on SQLite it runs on a native thread, so the
    worker's other users do not wait for it)."""
    base = [*conditions, *([Message.id < before_id] if before_id is not None else [])]

    def newest(*where: ColumnElement[bool], long: bool = False) -> list[Message]:
        statement = db.select(Message).where(*where, *base).order_by(Message.id.desc()).limit(count)
        return list(db.session.execute(long_read(statement) if long else statement).scalars())

    if db.engine.dialect.name == "sqlite" and _share_of_messages(conversation_ids) * RECENT_MATCHES >= count:
        expression, short_terms = _sqlite_parts(terms)
        window = _newest_ids(expression, before_id)  # read once: what it holds and whether it is all
        in_scope = [] if conversation_ids is None else [(Message.conversation_id + 0).in_(conversation_ids)]
        rows = newest(Message.id.in_(_each_of(window)), *in_scope, *short_terms) if window else []
        if len(rows) >= count or len(window) < RECENT_MATCHES:
            return rows
    in_scope = [] if conversation_ids is None else [Message.conversation_id.in_(conversation_ids)]
    return newest(_search_condition(terms), *in_scope, long=True)  # on SQLite, on a native thread


def _newest_ids(expression: str | None, before_id: int | None) -> list[int]:
    """The ids of the RECENT_MATCHES newest messages (before `before_id`) that the search index matches
    to `expression`; without one (every term too short for the index), of the newest messages."""
    if expression is None:
        ids = db.select(Message.id).order_by(Message.id.desc())
        if before_id is not None:
            ids = ids.where(Message.id < before_id)
    else:
        ids = (db.select(fts_table.c.rowid).where(fts_table.c[FTS_TABLE].match(expression))
               .order_by(fts_table.c.rowid.desc()))
        if before_id is not None:
            ids = ids.where(fts_table.c.rowid < before_id)
    return list(db.session.execute(ids.limit(RECENT_MATCHES)).scalars())


def _each_of(ids: list[int]) -> Select:
    """The ids as SQLite rows, bound as one JSON array (`json_each`): 2,000 bound parameters cost
    SQLAlchemy several milliseconds to expand."""
    return db.select(column("value")).select_from(func.json_each(bindparam("ids", json.dumps(ids))))


def _share_of_messages(conversation_ids: Collection[int] | Select | None) -> float:
    """About what share of the server's messages are in these conversations (None: all): a word spread
    evenly has as many of its matches there."""
    if conversation_ids is None:
        return 1.0
    conversations = Conversation.__table__.c
    in_scope = db.session.execute(db.select(func.coalesce(func.sum(conversations.last_seq), 0))
                                  .where(conversations.id.in_(conversation_ids))).scalar_one()
    everywhere = db.session.execute(db.select(func.max(Message.id))).scalar_one() or 0
    return in_scope / everywhere if everywhere else 0.0


def messages_searched(query, search: object, *, by_index: bool) -> tuple[object, ColumnElement | None]:
    """The back office's search box: `query` (an ORM query of messages, as its list builds it) narrowed to the
    messages that contain every word of `search`, and the order that lists them newest first (None: the
    caller's own). With `by_index` on SQLite, the query is joined to the search index's matches and the order
    is the index's rowid: with a LIMIT the matches come newest first from the index, each message read by its
    id (1 ms for a word in all of 1,000,000 messages, where `id IN (every match)` ordered by id read them all
    first: 2 s). On PostgreSQL (pg_trgm's index gives no order), without `by_index` (the caller orders by
    something else), or when no term is long enough for the index: a condition, and None."""
    return _narrowed(query, check_search_query(search), by_index)


def messages_containing(query, text: object, *, by_index: bool) -> tuple[object, ColumnElement | None]:
    """messages_searched for the back office's Text filter: the text as typed, spaces included (a phrase:
    one term, where the search box finds each word apart), through the same index."""
    return _narrowed(query, [check_contained_text(text)], by_index)


def check_contained_text(text: object) -> str:
    """A Text filter's value as typed: its spaces are part of the phrase (" at " finds "lunch at noon", not
    "what"); empty (a filter added with nothing typed) is contained in every text."""
    return check_string(text, "query", max_length=SEARCH_QUERY_MAX_LENGTH, required=False, strip=False)


def _narrowed(query, terms: list[str], by_index: bool) -> tuple[object, ColumnElement | None]:
    if by_index and db.engine.dialect.name == "sqlite":
        expression, short_terms = _sqlite_parts(terms)
        if expression is not None:
            index = fts_table.alias()  # a search and a Text filter may both join it
            joined = query.join(index, index.c.rowid == Message.id)
            return joined.filter(index.c[FTS_TABLE].match(expression), *short_terms), index.c.rowid
    return query.filter(_search_condition(terms)), None


def _search_condition(terms: list[str]) -> ColumnElement[bool]:
    dialect = db.engine.dialect.name
    if dialect not in CONDITIONS:
        raise NotImplementedError(f"message search has no implementation for {dialect}")
    return CONDITIONS[dialect](terms)


def _sqlite_condition(terms: list[str]) -> ColumnElement[bool]:
    expression, conditions = _sqlite_parts(terms)
    if expression is not None:
        matching = db.select(fts_table.c.rowid).where(fts_table.c[FTS_TABLE].match(expression))
        conditions.insert(0, Message.id.in_(matching))
    return and_(*conditions)


def _sqlite_parts(terms: list[str]) -> tuple[str | None, list[ColumnElement[bool]]]:
    """The FTS5 expression of the terms the index answers (None: none of them), and the LIKE
    conditions of the shorter ones."""
    likes = [Message.body.like(contains_pattern(term), escape=LIKE_ESCAPE)
             for term in terms if len(term) < TRIGRAM_LENGTH]
    indexed = [term for term in terms if len(term) >= TRIGRAM_LENGTH]
    # One FTS5 string per term: inside double quotes nothing is an operator, and the strings side by
    # side must all match (implicit AND).
    expression = " ".join('"' + term.replace('"', '""') + '"' for term in indexed) if indexed else None
    return expression, likes


def _postgresql_condition(terms: list[str]) -> ColumnElement[bool]:
    return and_(*(Message.body.ilike(contains_pattern(term), escape=LIKE_ESCAPE) for term in terms))


CONDITIONS: dict[str, Callable[[list[str]], ColumnElement[bool]]] = {
    "sqlite": _sqlite_condition,
    "postgresql": _postgresql_condition,
}
