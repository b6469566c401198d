"""What operators type in a panel's search box or a "contains" filter is text to find: `%` and
`_` match themselves (models.database.escape_like, as in every search of the service).

The search box keeps Flask-Admin's two prefixes: `^word` (starts with) and `=word` (exactly).
"""
from __future__ import annotations

from flask import flash
from flask_admin.contrib.sqla.filters import FilterLike
from sqlalchemy import Unicode, cast, false, or_

from actions.errors import InvalidInput
from actions.validation import check_search_query
from i18n.errors import error_text
from models.database import LIKE_ESCAPE, contains_pattern, escape_like


def search_pattern(term: str) -> str:
    """The LIKE pattern of one word of the search box."""
    if term.startswith("^"):
        return escape_like(term[1:]) + "%"
    if term.startswith("="):
        return escape_like(term[1:])
    return contains_pattern(term)


class ContainsFilter(FilterLike):
    """A "contains" filter whose value is text, wildcards included."""

    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias).ilike(contains_pattern(value), escape=LIKE_ESCAPE))


class EscapedSearch:
    """Mixed into a model view: its search box finds every word in any searchable column."""

    def _apply_search(self, query, count_query, joins, count_joins, search):
        try:  # what any search of the service may hold: no control characters (PostgreSQL cannot compare
            terms = check_search_query(search)  # them), a bounded number of words (SQLite's expression tree)
        except InvalidInput as error:  # said, and nothing listed, as the Messages panel's search does
            flash(error_text(error.code, error.message), "error")
            return self._list_only(false(), query, count_query, joins, count_joins)
        for term in terms:
            pattern = search_pattern(term)
            query, joins, condition = self._any_column_like(query, joins, pattern)
            query = query.filter(condition)
            if count_query is not None:
                count_query, count_joins, count_condition = self._any_column_like(count_query, count_joins, pattern)
                count_query = count_query.filter(count_condition)
        return query, count_query, joins, count_joins

    @staticmethod
    def _list_only(condition, query, count_query, joins, count_joins):
        """_apply_search's answer when one condition decides what is listed (a refused search: nothing)."""
        query = query.filter(condition)
        if count_query is not None:
            count_query = count_query.filter(condition)
        return query, count_query, joins, count_joins

    def _any_column_like(self, query, joins, pattern: str):
        conditions = []
        for field, path in self._search_fields:
            query, joins, alias = self._apply_path_joins(query, joins, path, inner_join=False)
            column = field if alias is None else getattr(alias, field.key)
            conditions.append(cast(column, Unicode).ilike(pattern, escape=LIKE_ESCAPE))
        return query, joins, or_(*conditions)
