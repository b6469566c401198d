"""Export page: users, one conversation's messages, or the audit log, as CSV or JSON downloads."""
from __future__ import annotations

from flask import Response, abort, redirect, request, stream_with_context
from flask_admin import expose

from actions.exports import FORMATS, Export, export_audit_log, export_conversation_messages, export_users
from actions.validation import check_int
from admin.security import SecureView, attempt, current_operator


def _download(export: Export) -> Response:
    """The file sent as it is read, page by page (actions.exports), in this request's context."""
    return Response(stream_with_context(export.chunks), mimetype=export.content_type.split(";")[0],
                    headers={"Content-Type": export.content_type,
                             "Content-Disposition": f'attachment; filename="{export.filename}"',
                             "Cache-Control": "no-store"})


class ExportView(SecureView):
    @expose("/", methods=("GET",))
    def index(self):
        """Pick what to export."""
        return self.render("admin/switchboard/export.html", formats=FORMATS)

    @expose("/<what>.<file_format>", methods=("POST",))
    def download(self, what: str, file_format: str):
        """The file itself (POST with the CSRF token: every export is recorded in the audit log)."""
        operator = current_operator()
        if what == "users":
            export = attempt(lambda: export_users(operator, file_format))
        elif what == "messages":
            export = attempt(lambda: export_conversation_messages(
                operator, check_int(request.form.get("conversation_id"), "conversation_id", minimum=1), file_format))
        elif what == "audit-log":
            export = attempt(lambda: export_audit_log(operator, file_format))
        else:
            abort(404)
        return _download(export) if export is not None else redirect(self.get_url(".index"))
