"""Reports panel: the queue of reported messages, each reviewed in context and settled in one click."""
from __future__ import annotations

from flask import redirect, request
from flask_admin import expose
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from actions.errors import NotFound
from actions.moderation import message_context
from actions.reports import get_report, resolve_report
from actions.validation import check_int
from admin.forms import ResolveReportForm
from admin.security import SecureModelView, attempt, current_operator, flash_form_errors
from models.report import REASONS, RESOLUTIONS, STATUSES

CONTEXT_SIZE = 10


class ReportView(SecureModelView):
    can_view_details = False
    column_list = ("created_at", "status", "reason", "reporter", "sender", "message", "text", "resolution",
                   "resolved_by", "resolved_at")
    column_filters = ("status", "reason", "resolution", "created_at", "resolved_at")
    column_choices = {"status": [(s, s) for s in STATUSES], "reason": [(r, r) for r in REASONS],
                      "resolution": [(r, r) for r in RESOLUTIONS]}
    column_sortable_list = ("created_at", "status", "reason", "resolved_at")
    # "open" sorts before "resolved": the queue comes first, oldest report first.
    column_default_sort = [("status", False), ("created_at", False)]
    column_formatters = {
        "reporter": lambda view, context, report, name: report.reporter.username,
        "sender": lambda view, context, report, name: report.message.sender.username if report.message.sender else "",
        "message": lambda view, context, report, name: _preview(report.message.body),
        "resolved_by": lambda view, context, report, name: report.resolved_by.username if report.resolved_by else "",
        # An open report has no resolution yet: say so rather than "None".
        "resolution": lambda view, context, report, name: report.resolution if not report.is_open else Markup(
            '<span class="badge badge-warning">{}</span>').format(gettext("open")),
    }
    column_extra_row_actions = [EndpointLinkRowAction("fa fa-gavel", ".review_view", title=_l("Review"))]

    @expose("/review/", methods=("GET",))
    def review_view(self):
        """The reported message with 10 messages around it, the reporter and the reason; one-click settlements."""
        report = attempt(lambda: get_report(check_int(request.args.get("id"), "id")))
        if report is None:
            return redirect(self.get_url(".index_view"))
        return self.render("admin/switchboard/report_review.html", report=report,
                           context=message_context(report.message_id, around=CONTEXT_SIZE),
                           form=ResolveReportForm())

    @expose("/review/<id:report_id>/<resolution>", methods=("POST",))
    def resolve_view(self, report_id: int, resolution: str):
        """Settle a report: message_hidden, sender_messages_hidden (last N hours), sender_deactivated, dismissed."""
        form = ResolveReportForm()
        if form.validate_on_submit():
            attempt(lambda: resolve_report(current_operator(), report_id, resolution, form.hours.data),
                    _l("Report resolved."))
        else:
            flash_form_errors(form)
        try:
            get_report(report_id)
        except NotFound:  # gone (with its group's messages): the review would only say so a second time
            return redirect(self.get_url(".index_view"))
        return redirect(self.get_url(".review_view", id=report_id))


def _preview(body: str, limit: int = 120) -> str:
    return body if len(body) <= limit else body[:limit] + "…"
