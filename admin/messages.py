"""Messages panel: filter and search every message; hide, unhide and delete one or many;
open any message in its conversation. The search box is actions.search's full-text search."""
from __future__ import annotations

from flask import abort, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.babel import lazy_gettext as admin_text  # Flask-Admin's own catalogue ("equals", "Yes", "No")
from flask_admin.contrib.sqla.filters import (
    BaseSQLAFilter,
    DateTimeBetweenFilter,
)
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import false

from actions.moderation import delete_message_for_everyone, hide_message, message_context, unhide_message
from actions.search import message_search_filter
from actions.validation import check_int
from admin.filters import IntEqualFilter
from admin.search import ContainsFilter
from admin.security import SecureModelView, attempt, attempt_each, current_operator
from extensions import db
from models import Message
from models.message import KINDS

BODY_PREVIEW = 160


class RemovedFilter(BaseSQLAFilter):
    """Hidden by a moderator (or not)."""

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        return query.filter(column.is_not(None) if value == "1" else column.is_(None))

    def operation(self):
        return _l("is")  # also the filter's URL argument, made in English at start-up (`hidden_is`)


class KindFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) == value)

    def operation(self):
        return admin_text("equals")


class MessageView(SecureModelView):
    can_delete = True
    column_list = ("id", "conversation_id", "sender", "kind", "body", "created_at", "hidden_at", "deleted_at")
    column_searchable_list = ("body",)  # turns the search box on; _apply_search does the searching
    column_filters = (
        IntEqualFilter(Message.conversation_id, _l("Conversation")),
        ContainsFilter("sender.username", _l("Sender")),
        KindFilter(Message.kind, _l("Kind"), options=[(kind, kind) for kind in KINDS]),
        DateTimeBetweenFilter(Message.created_at, _l("Sent")),
        ContainsFilter(Message.body, _l("Text")),
        RemovedFilter(Message.hidden_at, _l("Hidden"), options=(("1", admin_text("Yes")), ("0", admin_text("No")))),
    )
    column_sortable_list = ("id", "conversation_id", "kind", "created_at", "hidden_at")
    column_default_sort = ("id", True)
    column_labels = {"conversation_id": _l("Conversation"), "hidden_at": _l("Hidden"), "deleted_at": _l("Deleted")}
    column_formatters = {
        "sender": lambda view, context, message, name: message.sender.username if message.sender else "(service)",
        "body": lambda view, context, message, name: _preview(message.body),
        "conversation_id": lambda view, context, message, name: Markup('<a href="{}">{}</a>').format(
            view.get_url(".index_view", flt0_conversation_equals=message.conversation_id), message.conversation_id),
    }
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-comments", ".context_view",
                                                      title=_l("Conversation context"))]

    def search_placeholder(self) -> str:
        return gettext("Search text (words or parts of words, any language)")

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Full-text search through the message search index (actions.search), with the filters."""
        # Operators search hidden and deleted messages too: actions.search excludes nothing.
        condition = attempt(lambda: message_search_filter(search))
        if condition is None:  # refused (too long, too many words): the error is flashed, nothing listed
            condition = false()
        return self._list_only(condition, query, count_query, joins, count_joins)

    def delete_model(self, model):
        """Delete for everyone through actions.moderation (the message keeps its place, without text)."""
        return attempt(lambda: delete_message_for_everyone(current_operator(), model.id)) is not None

    @action("hide", _l("Hide"), _l("Hide the selected messages from every member?"))
    def action_hide(self, ids):
        attempt_each(ids, lambda message_id: _hidden(hide_message(current_operator(), message_id)),
                     _l("message(s) hidden"))

    @action("unhide", _l("Unhide"), _l("Show the selected messages again?"))
    def action_unhide(self, ids):
        attempt_each(ids, _unhide, _l("message(s) unhidden"))

    @expose("/context/", methods=("GET",))
    def context_view(self):
        """A message with the 20 messages around it, each with its moderation buttons."""
        context = attempt(lambda: message_context(check_int(request.args.get("id"), "id"), around=20))
        if context is None:
            return redirect(self.get_url(".index_view"))
        return self.render("admin/switchboard/message_context.html", context=context)

    @expose("/moderate/<id:message_id>/<operation>", methods=("POST",))
    def moderate_view(self, message_id: int, operation: str):
        """One-click hide, unhide or delete of one message; back to the context it was clicked in."""
        operations = {
            "hide": (hide_message, _l("Message hidden.")),
            "unhide": (unhide_message, _l("Message shown again.")),
            "delete": (delete_message_for_everyone, _l("Message deleted.")),
        }
        if operation not in operations:
            abort(404)
        perform, done = operations[operation]
        # Read before the action: a bad one (400, the request rolled back) must not leave "done" flashed.
        focus = check_int(request.args.get("focus"), "focus", required=False) or message_id
        attempt(lambda: perform(current_operator(), message_id), done)
        return redirect(self.get_url(".context_view", id=focus))


def _hidden(message):
    """The message if it is hidden now; None (not counted in the notice) for one its author deleted, which
    hide_message leaves as it is."""
    return message if message.hidden_at is not None else None


def _unhide(message_id: int):
    """Unhide; the message if it was hidden; None (not counted in the notice) for one that was not, which
    unhide_message leaves as it is."""
    # Its column, not the message: the action reads the message itself, under its lock.
    was_hidden = db.session.scalar(db.select(Message.hidden_at).where(Message.id == message_id)) is not None
    message = unhide_message(current_operator(), message_id)
    return message if was_hidden else None


def _preview(body: str) -> str:
    return body if len(body) <= BODY_PREVIEW else body[:BODY_PREVIEW] + "…"
