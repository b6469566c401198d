"""Messages panel: filter and search every message; hide, unhide and delete one or many;
open any message in its conversation. The search box and the Text filter are actions.search's full-text
search.

Sized for a million messages and more (bench/admin_lists.py): the list has no total (admin.paging:
previous and next), sorts only by columns with an index (id, conversation, time sent), and each filter
reads an index: the sender's messages by `sender_id` once the matching accounts are found, the text by the
search index, hidden messages by the index of removed ones."""
from __future__ import annotations

from flask import abort, g, redirect, request
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

from actions.errors import InvalidInput
from actions.messages import removed_message
from actions.moderation import delete_message_for_everyone, hide_message, message_context, unhide_message
from actions.search import check_contained_text, messages_containing, messages_searched
from actions.validation import check_int
from admin.filters import IntEqualFilter
from admin.paging import WithoutTotal
from admin.search import ContainsFilter
from admin.security import SecureModelView, attempt, attempt_each, current_operator
from extensions import db
from models import Message, User
from models.database import LIKE_ESCAPE, contains_pattern
from models.message import KINDS

BODY_PREVIEW = 160


class RemovedFilter(BaseSQLAFilter):
    """Hidden by a moderator (or not)."""

    def apply(self, query, value, alias=None):
        column = self.get_column(alias)
        if value == "1":  # hidden ones are among the removed: their ids from that small index, never every message
            hidden = db.select(Message.id).where(removed_message(), Message.hidden_at.is_not(None))
            return query.filter(Message.id.in_(hidden))
        return query.filter(column.is_(None))

    def operation(self):
        return _l("is")  # also the filter's URL argument, made in English at start-up (`hidden_is`)


class KindFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) == value)

    def operation(self):
        return admin_text("equals")


class SenderFilter(ContainsFilter):
    """Sender's username contains: the accounts that match, then the ids of their messages by the `sender_id`
    index, the list walked newest first by id: it costs what they wrote (comparing each message's sender,
    ILIKE on each, read every message: 15 s at a million when nobody matched)."""

    def apply(self, query, value, alias=None):
        senders = db.select(User.id).where(User.username.ilike(contains_pattern(value), escape=LIKE_ESCAPE))
        return query.filter(Message.id.in_(db.select(Message.id).where(Message.sender_id.in_(senders))))


class TextFilter(ContainsFilter):
    """Text contains, as typed (spaces included: a phrase, where the search box finds words apart), through
    the search index (actions.search.messages_containing) rather than ILIKE on every message."""

    def clean(self, value: str) -> str:
        try:  # too long: an invalid filter value, said by Flask-Admin and the filter ignored
            check_contained_text(value)
        except InvalidInput as error:
            raise ValueError(error.message) from None
        return value

    def apply(self, query, value, alias=None):
        by_index = g.get("messages_search_order") is None and not g.get("messages_of_one_conversation")
        query, order = messages_containing(query, value, by_index=by_index)
        if order is not None:  # SQLite: the index's matches, newest first (MessageView._apply_sorting)
            g.messages_search_order = order
        return query


class ConversationFilter(IntEqualFilter):
    """One conversation's messages (the list then follows that conversation's order: MessageView)."""


class MessageView(WithoutTotal, SecureModelView):
    can_delete = True
    column_list = ("id", "conversation_id", "sender", "kind", "body", "created_at", "hidden_at", "deleted_at")
    column_searchable_list = ("body",)  # turns the search box on; _apply_search does the searching
    column_filters = (
        ConversationFilter(Message.conversation_id, _l("Conversation")),
        SenderFilter(Message.sender_id, _l("Sender")),
        KindFilter(Message.kind, _l("Kind"), options=[(kind, kind) for kind in KINDS]),
        DateTimeBetweenFilter(Message.created_at, _l("Sent")),
        TextFilter(Message.body, _l("Text")),
        RemovedFilter(Message.hidden_at, _l("Hidden"), options=(("1", admin_text("Yes")), ("0", admin_text("No")))),
    )
    # Only columns with an index: sorting by kind or hidden time sorted every message (seconds at a million).
    column_sortable_list = ("id", "conversation_id", "created_at")
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

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True, page_size=None):
        g.messages_of_one_conversation = any(isinstance(self._filters[index], ConversationFilter)
                                             for index, _name, _value in filters or ())
        g.messages_search_order = None
        return super().get_list(page, sort_column, sort_desc, search, filters, execute=execute, page_size=page_size)

    def _apply_sorting(self, query, joins, sort_column, sort_desc):
        """By id (the default), one conversation's messages are listed by seq, the same order: in a conversation
        ids ascend with seq (both are given under the conversation's lock, actions.messages). Its (conversation_id,
        seq) index gives them in order; by id, every message of the conversation was read and sorted (27 s for
        one of 1,000,000 on SQLite). A search on SQLite is listed by the search index's rowid, the message's id."""
        if sort_column not in (None, "id"):
            query, joins = super()._apply_sorting(query, joins, sort_column, sort_desc)
            # Equal keys (a conversation's messages, a second's) then in one order, by an index: without it
            # each page's query could order them differently, and paging repeated some and skipped others.
            tie = Message.seq if sort_column == "conversation_id" else Message.id
            return query.order_by(tie.desc() if sort_desc else tie.asc()), joins
        newest_first = sort_desc or sort_column is None  # the default sort: newest first
        if g.get("messages_of_one_conversation"):
            order = Message.seq
        elif g.get("messages_search_order") is not None:  # SQLite's search index: its rowid is the message's id
            order = g.messages_search_order
        else:
            return super()._apply_sorting(query, joins, sort_column, sort_desc)
        return query.order_by(order.desc() if newest_first else order.asc()), joins

    def search_placeholder(self) -> str:
        return gettext("Search text (words or parts of words, any language)")

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """Full-text search through the message search index (actions.search), with the filters."""
        # Operators search hidden and deleted messages too: actions.search excludes nothing. One conversation's
        # messages are listed by seq (_apply_sorting), others newest first by the index where there is one.
        searched = attempt(lambda: messages_searched(query, search, by_index=not g.messages_of_one_conversation))
        if searched is None:  # refused (too long, too many words): the error is flashed, nothing listed
            return self._list_only(false(), query, count_query, joins, count_joins)
        query, g.messages_search_order = searched
        return query, count_query, joins, count_joins

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
