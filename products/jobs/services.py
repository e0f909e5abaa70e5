"""Starting, reviewing and cancelling import jobs: what the HTTP API and the admin view share.

create_job(...)   keep the uploaded bundle, queue the job once the row is committed
start_job(job, token=None)
                  a reviewed (`planned`) job: queue it to run
cancel_job(job)   a queued or planned job ends at once; a running one rolls back whole at
                  its next progress check
"""

import uuid

from django.conf import settings
from django.db import transaction

from products.jobs.models import ImportJob
from products.jobs.tasks import run_import_job


class JobStateConflict(Exception):
    """The job is not in a state the action applies to; the message says which it is in."""


class TooManyJobs(Exception):
    """The user has CATALOGUE_IMPORT_MAX_OPEN_JOBS jobs that have not ended (each keeps its
    bundle, up to CATALOGUE_IMPORT_MAX_UPLOAD_SIZE, and a worker's time)."""


def check_open_jobs(user):
    """Raise TooManyJobs if `user` may not start another job now."""
    limit = settings.CATALOGUE_IMPORT_MAX_OPEN_JOBS
    open_jobs = ImportJob.objects.filter(user=user).exclude(state__in=ImportJob.ENDED).count()
    if open_jobs >= limit:
        raise TooManyJobs(
            f"you have {open_jobs} imports that have not ended (at most {limit}): wait for "
            "them, or start or cancel those waiting for review"
        )


def create_job(*, file, file_name, user, parent, dry_run=False, review=False, token=None):
    """A job for the uploaded `file` (kept in the default storage until the job ends).

    With `review`, the job stops at `planned` once its plan is made, for someone to read it
    and `start_job` it; else it runs straight through (a dry run ends with the plan's report).
    Raises TooManyJobs (check_open_jobs) before keeping anything. `token`: the API token
    that started it (over HTTP); revoked before the job runs, it makes the job fail.
    """
    check_open_jobs(user)
    job = ImportJob(
        state=ImportJob.QUEUED,
        dry_run=dry_run,
        review=review and not dry_run,
        parent=parent,
        catalogue_title=parent.title if parent else "a new catalogue",
        user=user,
        token=token,
        by_token=token is not None,
        bundle_name=file_name,
    )
    # A file already on disk (a large upload) is moved, not copied, on local storage.
    job.bundle.save(f"{uuid.uuid4().hex}.zip", file, save=False)
    job.save()
    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def start_job(job, token=None):
    """Queue a `planned` job to run. The worker plans again and applies only a plan equal to
    the one reviewed; if the site moved meanwhile, the job comes back `planned` with the new
    plan and says so. `token`: the API token that starts it (None: a signed-in user); it
    replaces the one that created the job."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.state != ImportJob.PLANNED:
            raise JobStateConflict(f"import job #{job.pk} is {job.state}, not planned")
        job.state = ImportJob.QUEUED
        job.reviewed_plan = job.plan
        job.waiting_because = ""
        job.token, job.by_token = token, token is not None
        job.save(update_fields=["state", "reviewed_plan", "waiting_because", "token", "by_token"])
        transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    return job


def cancel_job(job):
    """Cancel `job`: a planned or queued one ends now (so does a running one whose worker is
    gone), a running one is flagged (its import rolls back whole at the next product).
    Raises JobStateConflict for an ended job."""
    with transaction.atomic():
        # The worker claims a job under the same row lock: it runs, or it is cancelled.
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.ended:
            raise JobStateConflict(f"import job #{job.pk} has already ended ({job.state})")
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
        # A running job whose worker is gone (ImportJob.stale) has nobody left to notice.
        if job.state != ImportJob.RUNNING or job.stale:
            job.end(ImportJob.CANCELLED)
    return job
