"""The message search index: database objects that migration 0004 makes and no model declares.

SQLite: an FTS5 table over `messages.body` (external content, trigram tokenizer) and the
triggers that keep it in sync. PostgreSQL: a GIN trigram index (pg_trgm) on `messages.body`.
`actions.search` queries them; Alembic's autogenerate must not offer to drop them, so
migrations/env.py and the schema test pass `include_name` to it.
"""
from __future__ import annotations

FTS_TABLE = "messages_search"
# FTS5 keeps the index in these "shadow" tables next to the virtual table itself.
FTS_SHADOW_SUFFIXES = ("_data", "_idx", "_content", "_docsize", "_config")
TRIGRAM_INDEX = "ix_messages_body_trgm"
# The trigram tokenizer indexes runs of 3 characters: shorter terms cannot use the index.
TRIGRAM_LENGTH = 3

SEARCH_TABLES = frozenset({FTS_TABLE, *(FTS_TABLE + suffix for suffix in FTS_SHADOW_SUFFIXES)})


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic autogenerate hook: leave the search index objects out of the comparison."""
    if type_ == "table":
        return name not in SEARCH_TABLES
    if type_ == "index":
        return name != TRIGRAM_INDEX
    return True
