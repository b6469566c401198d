"""The operators' Jobs pages: counts of what waits, failures with their errors, run again, dismiss."""
from __future__ import annotations

from events.unit_of_work import atomic
from extensions import db
from jobs import enqueue_on_commit, job_queue
from models import JobFailure
from tests.admin.conftest import audit_entries, logged_in
from tests.jobs.conftest import fresh
from tests.jobs.sample_jobs import always_fails, make_marker
from tests.servers import wait_for


def failed_rows() -> list:
    return list(fresh(JobFailure.__table__.select().where(JobFailure.status == "failed")))


def test_only_operators_see_the_jobs_pages(app, operator, alice, client):
    assert client.get("/admin/jobs/").status_code == 302  # to the login page
    assert logged_in(app, "alice").get("/admin/jobs/").status_code == 403
    assert logged_in(app, "alice").get("/admin/job_failure/").status_code == 403
    assert logged_in(app, "operator").get("/admin/jobs/").status_code == 200


def test_the_queue_page_counts_and_lists_waiting_jobs(app, operator):
    with atomic():
        enqueue_on_commit(make_marker, "waiting-one")
        enqueue_on_commit(make_marker, "waiting-two")
    page = logged_in(app, "operator").get("/admin/jobs/").get_data(as_text=True)
    assert '<p class="display-4" id="jobs-queued">2</p>' in page
    assert page.count("tests.jobs.sample_jobs.make_marker") == 2 and "waiting-two" in page


def test_a_failed_job_shows_with_its_error_and_can_be_run_again(app, operator, start_consumer):
    with atomic():
        enqueue_on_commit(always_fails, "no route to the mail server")
    consumer = start_consumer()
    wait_for(failed_rows, timeout=15, what="the job to fail for good")
    consumer.stop(graceful=True)
    operator_client = logged_in(app, "operator")

    page = operator_client.get("/admin/jobs/").get_data(as_text=True)
    assert '<p class="display-4" id="jobs-failed">1</p>' in page
    listing = operator_client.get("/admin/job_failure/?flt0_status_is=failed").get_data(as_text=True)
    assert "RuntimeError(&#39;no route to the mail server&#39;)" in listing
    [failure] = failed_rows()
    details = operator_client.get(f"/admin/job_failure/details/?id={failure.id}").get_data(as_text=True)
    assert "raise RuntimeError(reason)" in details  # the traceback

    operator_client.post("/admin/job_failure/action/", data={"action": "run_again", "rowid": [str(failure.id)]})
    assert fresh(JobFailure.__table__.select()).one().status == "requeued"
    assert [(job.name, job.arguments) for job in job_queue().queued()] == [
        (always_fails.name, ("no route to the mail server",))]
    [entry] = audit_entries("job.run_again")
    assert entry.target_id == failure.id and entry.after["job"] == always_fails.name


def test_running_again_a_job_that_has_not_failed_for_good_is_refused(app, operator):
    with atomic():
        failure = JobFailure(task_id="t-1", job_name=always_fails.name, arguments=["x"], status="retrying",
                             attempts=1, error="boom", traceback="")
        db.session.add(failure)
    operator_client = logged_in(app, "operator")
    operator_client.post("/admin/job_failure/action/", data={"action": "run_again", "rowid": [str(failure.id)]})
    assert job_queue().queued_count() == 0 and audit_entries("job.run_again") == []


def test_dismissing_a_failure_removes_it_and_is_audited(app, operator):
    with atomic():
        failure = JobFailure(task_id="t-2", job_name=always_fails.name, arguments=["x"], status="failed",
                             attempts=3, error="RuntimeError('x')", traceback="")
        db.session.add(failure)
    logged_in(app, "operator").post("/admin/job_failure/delete/", data={"id": str(failure.id)})
    assert fresh(JobFailure.__table__.select()).all() == []
    [entry] = audit_entries("job.dismiss")
    assert entry.before["error"] == "RuntimeError('x')"
