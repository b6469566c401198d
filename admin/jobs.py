"""Jobs pages: what waits in the background queue, and the jobs that failed, with their errors."""
from __future__ import annotations

from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import DateTimeBetweenFilter
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from actions.job_admin import dismiss_job_failure, jobs_overview, run_failed_job_again
from admin.files import StatusFilter
from admin.search import ContainsFilter
from admin.security import SecureModelView, SecureView, attempt, attempt_each, current_operator
from models import JobFailure
from models.job_failure import FAILURE_STATUSES


class JobsView(SecureView):
    @expose("/")
    def index(self):
        """Counts of queued, scheduled, retrying and failed jobs; the first ones waiting."""
        return self.render("admin/switchboard/jobs.html", overview=jobs_overview())


def _error(view, context, failure, name):
    return Markup("<code class='pre-wrap'>{}</code>").format(failure.error)


class JobFailureView(SecureModelView):
    can_delete = True
    can_view_details = True
    column_list = ("id", "job_name", "arguments", "status", "attempts", "error", "first_failed_at", "last_failed_at")
    column_details_list = (*column_list, "task_id", "traceback")
    column_searchable_list = ("job_name", "error")
    column_filters = (
        StatusFilter(JobFailure.status, _l("Status"), options=[(status, status) for status in FAILURE_STATUSES]),
        ContainsFilter(JobFailure.job_name, _l("Job")),
        DateTimeBetweenFilter(JobFailure.last_failed_at, _l("Last failed")),
    )
    column_sortable_list = ("id", "job_name", "status", "attempts", "first_failed_at", "last_failed_at")
    column_default_sort = ("last_failed_at", True)
    column_labels = {"job_name": _l("Job"), "attempts": _l("Failed runs")}
    column_formatters = {"error": _error}
    column_formatters_detail = {
        "error": _error,
        "traceback": lambda view, context, failure, name: Markup("<pre>{}</pre>").format(failure.traceback),
    }

    @action("run_again", _l("Run again"), _l("Queue the selected failed jobs again?"))
    def action_run_again(self, ids):
        attempt_each(ids, lambda failure_id: run_failed_job_again(current_operator(), failure_id),
                     _l("job(s) queued again"))

    def delete_model(self, model):
        """Dismiss through actions.job_admin (audited)."""
        return attempt(lambda: dismiss_job_failure(current_operator(), model.id)) is not None
