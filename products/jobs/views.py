"""The import job endpoints (token auth and checks as `POST /api/catalogue/import/`).

    POST /api/catalogue/imports/               multipart `bundle`, ?dry_run=1, ?parent=
         -> 202, Location: the job's URL, the job as JSON (it runs in the background)
    GET  /api/catalogue/imports/<id>/          the job: state, progress, plan, report, ...
    POST /api/catalogue/imports/<id>/cancel    a queued job ends at once (200); a running
         one rolls back whole at its next progress check (202); an ended one: 409

A job is visible to the user who started it and to superusers; to anyone else it does not
exist (404), so job ids reveal nothing.
"""

import uuid

from django.db import transaction
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from products.jobs.models import ImportJob
from products.jobs.tasks import run_import_job
from products.views_api import (
    authenticated_user,
    bundle_file_name,
    checked_upload,
    error,
    json_errors,
)


def job_json(job):
    """The job as the API shows it; `report` is the import's `catalogue-report/1` once the
    job has ended (None for a cancelled job: nothing was imported)."""
    return {
        "id": job.pk,
        "url": reverse("catalogue_import_job", args=[job.pk]),
        "state": job.state,
        "dry_run": job.dry_run,
        "catalogue": {"id": job.parent_id, "title": job.catalogue_title},
        "started_by": job.user.get_username() if job.user else None,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "progress": {"products": {"done": job.products_done, "total": job.products_total}},
        "waiting_because": job.waiting_because,
        "cancel_requested": job.cancel_requested,
        "plan": job.plan,
        "renditions": job.renditions(),
        "report": job.report_json(),
    }


@csrf_exempt
@json_errors
def start_import(request):
    """Keep the upload, queue the job once the row is committed, answer at once."""
    if request.method != "POST":
        return error(405, "send the bundle with POST", Allow="POST")
    upload = checked_upload(request)
    if isinstance(upload, JsonResponse):
        return upload
    job = ImportJob(
        state=ImportJob.QUEUED,
        dry_run=upload.dry_run,
        parent=upload.parent,
        catalogue_title=upload.parent.title if upload.parent else "a new catalogue",
        user=upload.user,
        bundle_name=bundle_file_name(upload.file.name),
    )
    # A file already on disk (a large upload) is moved, not copied, on local storage.
    job.bundle.save(f"{uuid.uuid4().hex}.zip", upload.file, save=False)
    job.save()
    transaction.on_commit(lambda: run_import_job.enqueue(job.pk))
    job.refresh_from_db()  # the immediate backend has run it already
    shown = job_json(job)
    return JsonResponse(shown, status=202, headers={"Location": shown["url"]})


def visible_job(request, job_id):
    """(the job, None) if the token's user may see it, else (None, the refusal)."""
    user, refusal = authenticated_user(request)
    if refusal:
        return None, refusal
    job = ImportJob.objects.select_related("user").filter(pk=job_id).first()
    if job is None or not (user.is_superuser or job.user_id == user.pk):
        return None, error(404, f"no import job #{job_id}", where="url")
    return job, None


@csrf_exempt
@json_errors
def job_status(request, job_id):
    if request.method != "GET":
        return error(405, "read a job with GET", Allow="GET")
    job, refusal = visible_job(request, job_id)
    return refusal or JsonResponse(job_json(job))


@csrf_exempt
@json_errors
def cancel_job(request, job_id):
    if request.method != "POST":
        return error(405, "cancel a job with POST", Allow="POST")
    job, refusal = visible_job(request, job_id)
    if refusal:
        return refusal
    with transaction.atomic():
        # The worker claims a job under the same row lock: it runs, or it is cancelled.
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if job.ended:
            return error(409, f"import job #{job.pk} has already ended ({job.state})", "state")
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
        if job.state == ImportJob.RUNNING:
            return JsonResponse(job_json(job), status=202)
        job.end(ImportJob.CANCELLED)
    return JsonResponse(job_json(job))
