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
user's conversations in a chat search). Many Chinese words have 2 characters: a query made only
of such words scans.

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

from collections.abc import Callable, Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, column, table

from actions.validation import check_int, check_limit, check_search_query
from extensions import db
from models import Message
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
    condition = message_search_filter(query)
    limit = check_limit(limit)
    before_id = check_int(before_id, "before_id", minimum=1, required=False)
    statement = db.select(Message).where(condition)
    if conversation_ids is not None:
        if not isinstance(conversation_ids, Select) and not conversation_ids:
            return SearchPage(messages=[], has_more=False)
        statement = statement.where(Message.conversation_id.in_(conversation_ids))
    if before_id is not None:
        statement = statement.where(Message.id < before_id)
    if not include_removed:
        statement = statement.where(Message.hidden_at.is_(None), Message.deleted_at.is_(None))
    rows = list(db.session.execute(statement.order_by(Message.id.desc()).limit(limit + 1)).scalars())
    return SearchPage(messages=rows[:limit], has_more=len(rows) > limit)


def message_search_filter(query: object) -> ColumnElement[bool]:
    """The WHERE condition of a search, for callers that add their own filters and order (the back office)."""
    terms = check_search_query(query)
    dialect = db.engine.dialect.name
    if dialect not in CONDITIONS:
        raise NotImplementedError(f"message search has no implementation for {dialect}")
    return CONDITIONS[dialect](terms)


def _sqlite_condition(terms: list[str]) -> ColumnElement[bool]:
    conditions = [Message.body.like(contains_pattern(term), escape=LIKE_ESCAPE)
                  for term in terms if len(term) < TRIGRAM_LENGTH]
    indexed = [term for term in terms if len(term) >= TRIGRAM_LENGTH]
    if indexed:
        # One FTS5 string per term: inside double quotes nothing is an operator, and the
        # strings side by side must all match (implicit AND).
        expression = " ".join('"' + term.replace('"', '""') + '"' for term in indexed)
        matching = db.select(fts_table.c.rowid).where(fts_table.c[FTS_TABLE].match(expression))
        conditions.insert(0, Message.id.in_(matching))
    return and_(*conditions)


def _postgresql_condition(terms: list[str]) -> ColumnElement[bool]:
    return and_(*(Message.body.ilike(contains_pattern(term), escape=LIKE_ESCAPE) for term in terms))


CONDITIONS: dict[str, Callable[[list[str]], ColumnElement[bool]]] = {
    "sqlite": _sqlite_condition,
    "postgresql": _postgresql_condition,
}
