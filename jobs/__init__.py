"""Background jobs on Huey: work that must not run inside a request.

Declare a job with `@job` next to the action it belongs to; ask for it from an action with
`enqueue_on_commit(the_job, *ids)`, which enqueues it only once the unit of work commits.
`init_jobs(app)` builds the queue from the settings; `flask jobs-worker` runs the consumer.
See docs/deployment.md ("Background jobs").
"""
from jobs.queue import JobQueue, enqueue_on_commit, init_jobs, job_queue
from jobs.registry import Job, crontab, job

__all__ = ["Job", "JobQueue", "crontab", "enqueue_on_commit", "init_jobs", "job", "job_queue"]
