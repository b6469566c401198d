"""Links between back-office pages: a user, group, message or report shown by its name, linked to
its page (the audit log, the per-user page). Only loads, by id: the views using them are operators'
only (admin.security)."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from markupsafe import Markup

from extensions import db
from models import Attachment, Conversation, Message, Report, User


def link(url: str, text: object) -> Markup:
    return Markup('<a href="{}">{}</a>').format(url, text)  # the text is escaped: names are user-written


def _find(model, row_id: object):
    """The row with this id, or None: gone, or the audit entry's field held no id."""
    return db.session.get(model, row_id) if isinstance(row_id, int) else None


def user_link(user_id: int | None) -> Markup | str:
    user = _find(User, user_id)
    if user is None:
        return gettext("user #%(id)s", id=user_id) if user_id is not None else "—"
    return link(url_for("user.manage_view", id=user.id), user.username)


def group_link(conversation_id: int | None) -> Markup | str:
    group = _find(Conversation, conversation_id)
    if group is None or not group.is_group:  # a deleted group: its id is all the log keeps
        return gettext("group #%(id)s", id=conversation_id)
    return link(url_for("group.members_view", id=group.id), group.name)


def message_link(message_id: int | None) -> Markup | str:
    message = _find(Message, message_id)
    if message is None:
        return gettext("message #%(id)s", id=message_id)
    return link(url_for("message.context_view", id=message.id), gettext(
        "message #%(id)s in %(conversation)s", id=message.id,
        conversation=conversation_name(db.session.get(Conversation, message.conversation_id))))


def report_link(report_id: int | None) -> Markup | str:
    report = _find(Report, report_id)
    if report is None:
        return gettext("report #%(id)s", id=report_id)
    return link(url_for("report.review_view", id=report.id), gettext("report #%(id)s", id=report.id))


def file_link(attachment_id: int | None) -> Markup | str:
    attachment = _find(Attachment, attachment_id)
    name = attachment.filename if attachment is not None and attachment.filename else ""
    return gettext("file #%(id)s %(name)s", id=attachment_id, name=name).strip()


def conversation_link(conversation: Conversation | None, conversation_id: int) -> Markup | str:
    """A group by name (its members page); a direct chat as such (its messages in the Messages panel).
    The caller loaded the conversation (None: deleted)."""
    if conversation is not None and conversation.is_group:
        return group_link(conversation_id)
    url = url_for("message.index_view", flt0_conversation_equals=conversation_id)
    return link(url, conversation_name(conversation))


def conversation_name(conversation: Conversation | None) -> str:
    if conversation is None:
        return gettext("a deleted conversation")
    if conversation.is_group:
        return conversation.name
    return gettext("a direct chat")


TARGETS = {"user": user_link, "group": group_link, "message": message_link, "report": report_link,
           "attachment": file_link}
MODELS = {"user": User, "group": Conversation, "message": Message, "report": Report, "attachment": Attachment}


def load_named(ids: dict[str, set]) -> list:
    """Load the rows links will name ({"user": {ids}, ...}, kinds of TARGETS), one query per kind
    (a message's conversation too), and return them: while the list is held, the session keeps
    them and each link finds its row there instead of sending a query of its own."""
    rows = []
    for kind in ("message", *(kind for kind in MODELS if kind != "message")):
        wanted = {row_id for row_id in ids.get(kind, ()) if isinstance(row_id, int)}
        if kind == "group":  # a message's link names its conversation
            wanted |= {row.conversation_id for row in rows if isinstance(row, Message)}
        if wanted:
            rows += db.session.execute(db.select(MODELS[kind]).where(MODELS[kind].id.in_(wanted))).scalars().all()
    return rows


def target_link(target_type: str, target_id: int | None) -> Markup | str:
    """What an audit entry acted on, by name and linked; `everyone` (a broadcast) and the rest as they are."""
    if target_type in TARGETS:
        return TARGETS[target_type](target_id)
    return target_type if target_id is None else f"{target_type} #{target_id}"
