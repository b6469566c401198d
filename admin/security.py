"""What every back-office view shares: operators only, CSRF-protected forms, and one way to run an action.

Anonymous visitors are sent to the login page; logged-in non-operators get 403. Who is an
operator is decided by actions.access, as for the admin API and every operator action.
Forms derive from Flask-WTF's FlaskForm so CSRFProtect accepts their token
(Flask-Admin's SecureForm uses another token field and is refused with 400).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import TypeVar

from flask import abort, flash, redirect, request, url_for
from flask_admin import BaseView
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_lazy_gettext
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.typefmt import DEFAULT_FORMATTERS
from flask_babel import force_locale, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from actions.access import access_operator, is_operator
from actions.errors import ActionError, Forbidden, InvalidInput
from actions.validation import LINE_REFUSED, check_id
from admin.labels import COLUMN_NAMES
from admin.search import EscapedSearch
from blueprints.site_paths import is_site_path, return_address
from events.unit_of_work import savepoint
from extensions import db
from i18n import local_datetime
from i18n.errors import error_text
from long_reads import long_read
from models import User

Result = TypeVar("Result")


def operator_only():
    """None when the current user is an operator; otherwise the response to send."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=return_after_login()))
    try:
        access_operator(current_user)
    except Forbidden:
        abort(403)
    return None


def return_after_login() -> str:
    """The page asked for; for a form sent when the session had ended, the back-office page it was sent from,
    else the dashboard (blueprints.site_paths.return_address). The operator sees the page and decides anew."""
    dashboard = url_for("admin.index")
    return return_address(dashboard, within=dashboard)


def current_operator() -> User:
    return current_user._get_current_object()


def attempt(perform: Callable[[], Result], success: object = None) -> Result | None:
    """Run one action in a savepoint of the request's unit of work; a refusal is flashed and
    undoes that action alone, writes and events (None is returned)."""
    try:
        with savepoint():
            result = perform()
    except ActionError as error:
        flash(error_text(error.code, error.message), "error")
        return None
    if success:
        flash(str(success), "success")  # a lazy string (_l) in the reader's language
    return result


def flash_form_errors(form) -> None:
    """A form that did not validate: say what is wrong, change nothing."""
    for field_name, errors in form.errors.items():
        label = getattr(getattr(form, field_name, None), "label", None)
        flash(f"{label.text if label else field_name}: {'; '.join(map(str, errors))}", "error")


def attempt_each(ids: Iterable[str], perform: Callable[[int], object], done: object) -> int:
    """Run an action per selected row (bulk `@action`s); flash how many succeeded. A selection that is
    not all row ids (a hand-made form) is refused whole, with nothing done."""
    try:
        row_ids = [check_id(row_id, "rowid") for row_id in ids]
    except InvalidInput as error:
        flash(error_text(error.code, error.message), "error")
        return 0
    succeeded = 0
    for row_id in row_ids:
        if attempt(lambda row_id=row_id: perform(row_id)) is not None:
            succeeded += 1
    flash(gettext("%(num)d %(done)s.", num=succeeded, done=done), "success" if succeeded else "warning")
    return succeeded


class OperatorAccess:
    """The one access rule of the back office, and the files every back-office page loads."""

    @property
    def extra_css(self) -> list[str]:
        return [url_for("static", filename="css/admin.css")]

    @property
    def extra_js(self) -> list[str]:
        # Does the work of the inline handlers the CSP forbids (confirmations, bulk actions).
        return [url_for("static", filename="js/admin.js")]

    def is_accessible(self) -> bool:
        return is_operator(current_user)

    def inaccessible_callback(self, name, **kwargs):
        return operator_only()

    def _handle_view(self, name, **kwargs):
        """Before every view: the access rule, then the return address (400 `invalid_url`, nothing done)."""
        refusal = super()._handle_view(name, **kwargs)
        if refusal is None:
            check_return_address(request.values.get("url"))
        return refusal


def check_return_address(address: str | None) -> None:
    """A return address given (none, or an empty one, leads to the panel's list) must be a path on this site,
    as Flask-Admin makes them (blueprints.site_paths): Flask-Admin's own check lets "http:evil.example" through
    (relative to Python), which the Location header carries as "http:///evil.example", and browsers go to
    evil.example."""
    if address and not is_site_path(address):
        raise InvalidInput("invalid_url", "url must be a path on this site.")


class SecureView(OperatorAccess, BaseView):
    """A custom back-office page."""


LAST_PAGE = 10**9  # of any panel's list (`?page=`, from 0): its offset stays far within a 64-bit integer


@cache
def _headings_by_text(locale) -> dict[str, object]:
    """The common headings (admin.labels) by their text in the current language, `locale` (the cache's key: str()
    translates into whatever language is current), as Flask-Admin names filters at start-up: read once per
    language, not once per panel of every app (65 translations each)."""
    return {str(heading): heading for heading in COLUMN_NAMES.values()}


class SecureModelView(OperatorAccess, EscapedSearch, ModelView):
    """A model panel. Changes go through actions (override create/update/delete_model), never
    through Flask-Admin's own session writes, so each lands in the audit log."""

    form_base_class = FlaskForm
    can_create = can_edit = can_delete = False  # each panel opts in, and implements it with actions
    can_export = False  # exports come from the Export page, with explicit columns
    named_filter_urls = True  # readable, stable filter links such as ?flt0_conversation_equals=12
    # Times are stored as UTC: shown in the operator's time zone (else UTC) and language, the zone named.
    column_type_formatters = {**DEFAULT_FORMATTERS, datetime: lambda view, value, name: local_datetime(value)}
    column_type_formatters_detail = column_type_formatters
    can_set_page_size = True

    def get_column_name(self, field: str):
        """The panel's own label, else the common heading of that column (admin.labels), translated."""
        if self.column_labels and field in self.column_labels:
            return self.column_labels[field]
        return COLUMN_NAMES.get(field) or super().get_column_name(field)

    def get_filters(self):
        """The "Add filter" menu in the reader's language: Flask-Admin names a column's filters at start-up with
        its heading made a plain (English) string; each gets its lazy heading back (admin.labels, the panel's
        labels). Filters a panel names itself take a lazy name (_l) too."""
        filters = super().get_filters()
        headings = {**_headings_by_text(get_locale()),
                    **{str(heading): heading for heading in (self.column_labels or {}).values()}}
        for flt in filters or ():
            flt.name = headings.get(str(flt.name), flt.name)
        return filters

    def get_filter_arg(self, index, flt) -> str:
        """A filter's name in the address (?flt0_role_equals=…): from its English name, the same whatever the
        reader's language, so a link an operator shares filters alike for everyone."""
        with force_locale("en"):
            return super().get_filter_arg(index, flt)

    def search_placeholder(self) -> str | None:
        """What the search box looks in: its columns' headings in the reader's language (Flask-Admin lists the
        columns' names: "username, display_name")."""
        if not self.column_searchable_list:
            return None
        return ", ".join(str(self.get_column_name(column)) for column in self.column_searchable_list)
    page_size = 50

    def __init__(self, model, **kwargs) -> None:
        super().__init__(model, db, **kwargs)

    def get_query(self):
        """The list's rows, and (below) its count, as long reads (long_reads.py): on SQLite a panel counted or
        searched over a million messages reads on a native thread, not on the event loop every chat shares."""
        return long_read(super().get_query())

    def get_count_query(self):
        return long_read(super().get_count_query())

    def _get_list_extra_args(self):
        """The list's arguments as typed in the address bar, kept to what a list can show: a page before
        the first is the first, one beyond any list is empty (never an offset the database cannot take:
        a 500), a page size is one the panel offers, and a sort one of its sortable columns (any other left
        the list in no order at all, where the panel's default order is meant)."""
        arguments = super()._get_list_extra_args()
        page_size = arguments.page_size if arguments.page_size in self.page_size_options else 0
        column = self._get_column_by_idx(arguments.sort)
        sort = arguments.sort if column is not None and column[0] in self._sortable_columns else None
        return arguments.clone(page=min(max(arguments.page or 0, 0), LAST_PAGE), page_size=page_size,
                               sort=sort, filters=self._comparable(arguments.filters))

    def _comparable(self, filters: list | None) -> list | None:
        """A text filter's value holding a control character is an invalid filter value (said, and
        the filter ignored, as Flask-Admin does with a number that is not one), never a 500."""
        if not filters:
            return filters
        kept = []
        for index, name, value in filters:
            if isinstance(value, str) and LINE_REFUSED.search(value):
                flash(self.get_invalid_value_msg(value.encode("unicode_escape").decode(), self._filters[index]),
                      "error")
            else:
                kept.append((index, name, value))
        return kept

    def get_one(self, id):
        """The row of an id from an address or form (details, edit, delete), or None (Flask-Admin then
        says the record does not exist) for anything that is not an id (actions.validation)."""
        try:
            return db.session.get(self.model, check_id(id, "id"))  # every panel's rows have integer ids
        except InvalidInput:
            return None

    @action("delete", admin_lazy_gettext("Delete"),
            admin_lazy_gettext("Are you sure you want to delete selected records?"))
    def action_delete(self, ids):
        """Bulk delete, through the panel's own delete_model (its action, audited) row by row, as every
        other bulk action: never Flask-Admin's query on the ids as the form sent them (strings, which
        PostgreSQL does not compare with integer ids) and its own COMMIT in the middle of the request."""
        attempt_each(ids, self._delete_one, _l("record(s) deleted"))

    def _delete_one(self, row_id: int) -> bool | None:
        model = self.get_one(row_id)
        return True if model is not None and self.delete_model(model) else None

    def create_model(self, form):
        raise NotImplementedError(f"{type(self).__name__} creates through an action")

    def update_model(self, form, model):
        raise NotImplementedError(f"{type(self).__name__} edits through an action")

    def delete_model(self, model):
        raise NotImplementedError(f"{type(self).__name__} deletes through an action")
