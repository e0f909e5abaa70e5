"""run_import_job: the background half of an import job (products/jobs/views.py queues it).

One writing job at a time per catalogue: a job that writes starts only if no other job that
writes (not a dry run, nor the planning of a job made for review) is running on the same
catalogue. The check and the switch to `running` happen in one short
transaction that first locks the catalogue page's row (the site root's for a job that
creates the catalogue), so two workers cannot both find the catalogue free. A job that must
wait stays `queued`, says why in `waiting_because`, and is queued again WAIT_SECONDS later
(backends that can defer a task: the database backend's db_worker, the dummy backend); the
immediate backend (development, tests) cannot defer, so the task waits in place.
"""

import contextvars
import json
import logging
import shutil
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from django_tasks import task
from wagtail.images import get_image_model
from wagtail.models import Page, Site

from products.catalogue.bundle import open_bundle
from products.catalogue.planner import ImportPlan, make_plan
from products.catalogue.problems import BundleInvalid
from products.catalogue.report import ImportReport
from products.catalogue.writer import apply_plan
from products.jobs.models import ImportJob
from products.jobs.progress import ImportCancelled, ProgressRecorder

logger = logging.getLogger(__name__)
WAIT_SECONDS = 5
WORKER_LOST = (
    "the worker running this import stopped without finishing it (no sign of life): nothing "
    "was imported; start it again"
)
COPY_CHUNK = 1024 * 1024


@task()
def run_import_job(job_id):
    """Run the queued job `job_id`: wait for its catalogue, then plan and import."""
    while True:
        job, blocker = claim(job_id)
        if job is not None:
            break
        if blocker is None:
            return  # gone, cancelled, or already run by another worker
        if run_import_job.get_backend().supports_defer:
            later = timezone.now() + timedelta(seconds=WAIT_SECONDS)
            run_import_job.using(run_after=later).enqueue(job_id)
            return
        time.sleep(WAIT_SECONDS)
    run(job)


def claim(job_id):
    """Switch the job from queued to running if its catalogue is free. Returns (the job, None)
    when it may run, (None, the running job it waits for), or (None, None) when it is not
    queued any more."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != ImportJob.QUEUED:
            return None, None
        if job.writes:  # a run that writes nothing never waits, nor makes others wait
            lock_page = job.parent_id or Site.objects.get(is_default_site=True).root_page_id
            list(Page.objects.select_for_update().filter(pk=lock_page).values_list("pk"))
            running = (
                ImportJob.objects.select_for_update()
                .filter(state=ImportJob.RUNNING, parent_id=job.parent_id)
                .exclude(pk=job.pk)
                .exclude(dry_run=True)
                .exclude(review=True, reviewed_plan__isnull=True)  # planning for a review
                .order_by("started_at")
            )
            blocker = None
            for other in running:
                if other.stale:
                    other.end(ImportJob.FAILED, refused_report(other, WORKER_LOST))
                elif blocker is None:
                    blocker = other
            if blocker is not None:
                job.waiting_because = (
                    # Not the other job's id: it may be someone else's, and ids reveal nothing.
                    f"waiting for another import on “{blocker.catalogue_title}” to end"
                )
                job.save(update_fields=["waiting_because"])
                return None, blocker
        job.state = ImportJob.RUNNING
        job.started_at = job.heartbeat_at = timezone.now()
        job.waiting_because = ""
        job.save(update_fields=["state", "started_at", "heartbeat_at", "waiting_because"])
        return job, None


def run(job):
    """Plan; then, as the job says, stop at the plan (a dry run, a job made for review) or
    apply it. The bundle is deleted when the job ends, whatever happens."""
    refusal = None
    if job.user is None or not job.user.is_active:
        # Planning without a user is the command line's mode, with the site's own rights: a
        # job is always checked against the rights of the person who started it.
        refusal = "the user who started this import no longer exists or is inactive"
    elif job.by_token and (job.token is None or job.token.revoked_at is not None):
        refusal = "the API token that started this import was revoked"
    if refusal:
        job.end(ImportJob.FAILED, refused_report(job, refusal))
        return
    recorder = ProgressRecorder(job)
    folder = tempfile.mkdtemp(prefix="catalogue-job-")
    try:
        path = copy_bundle(job, Path(folder))
        with open_bundle_or_none(path) as (bundle, problems):
            plan = (
                make_plan(bundle, parent=job.parent, user=job.user)
                if bundle
                else ImportPlan.refused(problems, job.user)
            )
            # As stored (a JSON column): compared below with the plan someone reviewed. The
            # fingerprint covers what the summary does not show (a product edited since the
            # review whose action is still `update`, a reused image replaced).
            summary = json.loads(json.dumps(plan.summary()))
            summary["fingerprint"] = plan.fingerprint()
            job.plan = summary
            job.products_total = len(summary["actions"]) - summary["products"]["unchanged"]
            job.save(update_fields=["plan", "products_total"])
            if ImportJob.objects.filter(pk=job.pk, cancel_requested=True).exists():
                raise ImportCancelled(f"import #{job.pk} was cancelled while it was planned")
            if job.dry_run or not plan.ok:
                job.end(ImportJob.FAILED if not plan.ok else ImportJob.SUCCEEDED, as_run(plan))
                return
            if not job.writes:
                job.stop_for_review()
                return
            if summary != job.reviewed_plan and job.review:
                job.stop_for_review(
                    "the site changed since the plan was reviewed: read the new plan, then "
                    "start it again"
                )
                return
            with images_created() as image_ids:
                report = apply_plan(plan, bundle, progress=recorder)
    except ImportCancelled:
        job.end(ImportJob.CANCELLED)
        return
    except Exception:
        logger.exception("Import job #%s stopped by an internal error", job.pk)
        job.end(ImportJob.FAILED, internal_error_report(job))
        return
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        recorder.close()
    if report.ok:
        job.image_ids = image_ids
        job.products_done = job.products_total
    job.end(ImportJob.SUCCEEDED if report.ok else ImportJob.FAILED, report.as_json())


def as_run(plan):
    """The report of a run that stops at its plan: a dry run's, as the importer gives it."""
    return plan.report.copy(dry_run=True).as_json()


@contextmanager
def open_bundle_or_none(path):
    """(the open bundle, None), closed afterwards; or (None, its problems) if unreadable."""
    try:
        bundle = open_bundle(path)
    except BundleInvalid as error:
        yield None, error.problems
        return
    try:
        yield bundle, None
    finally:
        bundle.close()


def copy_bundle(job, folder):
    """The kept bundle, copied to a local file under the user's file name (reports about the
    whole bundle name it, as the synchronous endpoint's do)."""
    path = folder / job.bundle_name
    with job.bundle.open("rb") as source, path.open("wb") as target:
        shutil.copyfileobj(source, target, COPY_CHUNK)
    job.bundle.close()
    return path


def internal_error_report(job):
    return refused_report(
        job,
        "an internal error stopped the import; it has been logged for the site's administrators",
    )


def refused_report(job, message):
    report = ImportReport(ok=False, dry_run=job.dry_run)
    report.errors.add("import", message)
    return report.as_json()


_created = contextvars.ContextVar("import_job_images", default=None)


@contextmanager
def images_created():
    """The ids of the images saved for the first time inside the block (this thread's)."""
    ids = []
    token = _created.set(ids)
    try:
        yield ids
    finally:
        _created.reset(token)


def record_image(sender, instance, created, **kwargs):
    ids = _created.get()
    if created and ids is not None:
        ids.append(instance.pk)


post_save.connect(record_image, sender=get_image_model(), dispatch_uid="import_job_images")
