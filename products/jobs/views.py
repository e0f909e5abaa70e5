"""The import job endpoints (token auth and checks as `POST /api/catalogue/import/`).

    POST /api/catalogue/imports/               multipart `bundle`, ?dry_run=1, ?parent=,
         ?review=1 (stop at `planned` with the plan, until started)
         -> 202, Location: the job's URL, the job as JSON (it runs in the background)
    GET  /api/catalogue/imports/<id>/          the job: state, progress, plan, report, ...
    POST /api/catalogue/imports/<id>/start     a planned job: queued to run (202); else 409
    POST /api/catalogue/imports/<id>/cancel    a planned or queued job ends at once (200); a
         running one rolls back whole at its next progress check (202); an ended one: 409

A job is visible to the user who started it and to superusers; to anyone else it does not
exist (404), so job ids reveal nothing.
"""

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from products.jobs.models import ImportJob
from products.jobs.services import (
    JobStateConflict,
    TooManyJobs,
    cancel_job,
    create_job,
    start_job,
)
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
        "review": job.review,
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
    try:
        job = create_job(
            file=upload.file,
            file_name=bundle_file_name(upload.file.name),
            user=upload.user,
            parent=upload.parent,
            dry_run=upload.dry_run,
            review=request.GET.get("review") == "1",
            token=request.api_token,
        )
    except TooManyJobs as refusal:
        return error(429, str(refusal), "bundle", **{"Retry-After": "60"})
    job.refresh_from_db()  # the immediate backend has run it already
    shown = job_json(job)
    return JsonResponse(shown, status=202, headers={"Location": shown["url"]})


def visible_job(request, job_id):
    """(the job, None) if the token's user may see it, else (None, the refusal)."""
    user, refusal = authenticated_user(request)
    if refusal:
        return None, refusal
    job = ImportJob.visible_to(user).select_related("user").filter(pk=job_id).first()
    if job is None:
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
def cancel(request, job_id):
    if request.method != "POST":
        return error(405, "cancel a job with POST", Allow="POST")
    job, refusal = visible_job(request, job_id)
    if refusal:
        return refusal
    try:
        job = cancel_job(job)
    except JobStateConflict as conflict:
        return error(409, str(conflict), "state")
    return JsonResponse(job_json(job), status=202 if job.state == ImportJob.RUNNING else 200)


@csrf_exempt
@json_errors
def start(request, job_id):
    if request.method != "POST":
        return error(405, "start a planned job with POST", Allow="POST")
    job, refusal = visible_job(request, job_id)
    if refusal:
        return refusal
    try:
        job = start_job(job, token=request.api_token)
    except JobStateConflict as conflict:
        return error(409, str(conflict), "state")
    job.refresh_from_db()  # the immediate backend has run it already
    return JsonResponse(job_json(job), status=202)
