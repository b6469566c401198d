"""Files panel: every attachment with owner, conversation, size and type; delete one or many."""
from __future__ import annotations

from flask_admin.contrib.sqla.filters import BaseSQLAFilter, DateTimeBetweenFilter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from actions.file_admin import delete_file
from admin.filters import IntEqualFilter, IntGreaterFilter
from admin.search import ContainsFilter
from admin.security import SecureModelView, attempt, current_operator
from models import Attachment
from models.attachment import STATUSES
from payloads import file_url


class StatusFilter(BaseSQLAFilter):
    def apply(self, query, value, alias=None):
        return query.filter(self.get_column(alias) == value)

    def operation(self):
        return _l("is")  # also in the filter's URL argument, made in English at start-up (`status_is`)


def human_size(size: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if size < 1024 or unit == "MiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size} B"


def _filename(view, context, attachment, name):
    if attachment.status == "deleted":
        return Markup("<span class='text-muted'>{} (removed)</span>").format(attachment.filename)
    # The app's route checks access (operators may read any file) and redirects to a short-lived URL.
    return Markup("<a href='{}' rel='noopener'>{}</a>").format(file_url(attachment.id, download=True),
                                                               attachment.filename)


class FileView(SecureModelView):
    can_delete = True
    column_list = ("id", "filename", "content_type", "size", "status", "uploader", "conversation_id", "created_at")
    column_searchable_list = ("filename",)
    column_filters = (
        ContainsFilter("uploader.username", _l("Owner")),
        IntEqualFilter(Attachment.conversation_id, _l("Conversation")),
        ContainsFilter(Attachment.content_type, _l("Type")),
        IntGreaterFilter(Attachment.size, _l("Size in bytes")),
        StatusFilter(Attachment.status, _l("Status"), options=[(status, status) for status in STATUSES]),
        DateTimeBetweenFilter(Attachment.created_at, _l("Uploaded")),
    )
    column_sortable_list = ("id", "filename", "content_type", "size", "status", "conversation_id", "created_at")
    column_default_sort = ("id", True)
    column_labels = {"content_type": _l("Type"), "uploader": _l("Owner"), "conversation_id": _l("Conversation"),
                     "created_at": _l("Uploaded")}
    column_formatters = {
        "filename": _filename,
        "size": lambda view, context, attachment, name: human_size(attachment.size),
        "uploader": lambda view, context, attachment, name: attachment.uploader.username if attachment.uploader else "",
        "conversation_id": lambda view, context, attachment, name: Markup('<a href="{}">{}</a>').format(
            view.get_url("message.index_view", flt0_conversation_equals=attachment.conversation_id),
            attachment.conversation_id),
    }

    def delete_model(self, model):
        """Delete through actions.file_admin (storage object removed, message shows "file removed")."""
        return attempt(lambda: delete_file(current_operator(), model.id)) is not None
