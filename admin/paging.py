"""A back-office list without its total, for a table too big to count on every page view.

Flask-Admin counts every list it shows (`SELECT count(*)` with the list's search and filters) to draw its
numbered pager: over 1,000,000 messages that count read every message, or every match of a search, on each
page view (seconds, bench/admin_lists.py). A panel with WithoutTotal pages by previous and next instead, as
Gmail and Slack's message lists do: it reads one row past its page to know whether a next page exists, and
never counts."""
from __future__ import annotations

from flask import g


class WithoutTotal:
    """Mixed into a model view (before SecureModelView): previous and next, no total, no count query."""

    simple_list_pager = True
    list_template = "admin/switchboard/list_without_total.html"

    def _apply_pagination(self, query, page, page_size):
        """The page's rows and the first of the next page (a limit of page_size + 1, the same offset)."""
        page_size = page_size or self.page_size
        query = query.limit(page_size + 1)
        return query.offset(page * page_size) if page else query

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        count, rows = super().get_list(page, sort_column, sort_desc, search, filters, execute=execute,
                                       page_size=page_size)
        if not execute:
            return count, rows
        page_size = page_size or self.page_size
        g.list_has_next_page = len(rows) > page_size  # read by the template's pager (has_next_page)
        return count, rows[:page_size]

    def has_next_page(self) -> bool:
        return g.get("list_has_next_page", False)
