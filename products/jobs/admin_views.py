"""The admin's "Catalogue import" view, for Moderators and superusers (`IMPORT_PERMISSION`).

    /admin/catalogue-import/                 past jobs (newest first) and the upload form
    /admin/catalogue-import/<id>/            the job: its plan, progress or report
    /admin/catalogue-import/<id>/start       POST: start a planned job (services.start_job)
    /admin/catalogue-import/<id>/cancel      POST: cancel it (services.cancel_job)
    /admin/catalogue-import/<id>/status.json the job as the API shows it (job_json), which
                                             static/js/import-job.js polls for progress
    /admin/catalogue-import/<id>/report.json the report, as an attachment

Uploads pass the API's checks (size, a .zip, rights on the catalogue through `may_import`) and
make jobs for review: the plan is shown, and nothing is written until someone starts it. A
job is visible to whoever may see it through the API (`ImportJob.visible_to`); to anyone else
it does not exist (404).
"""

from django import forms
from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.admin.auth import user_passes_test
from wagtail.admin.paginator import WagtailPaginator
from wagtail.models import Site

from products.jobs.models import ImportJob
from products.jobs.services import (
    JobStateConflict,
    TooManyJobs,
    cancel_job,
    create_job,
    start_job,
)
from products.jobs.views import job_json
from products.models import ProductIndexPage
from products.views_api import bundle_file_name, may_import

# Granted to Moderators by products/migrations/0005; superusers have every permission.
IMPORT_PERMISSION = "products.add_importjob"
JOBS_PER_PAGE = 20
NEW_CATALOGUE = "new"


def may_use_catalogue_import(user):
    """Whether the admin offers `user` the "Catalogue import" view at all."""
    return user.has_perm(IMPORT_PERMISSION)


import_role_required = user_passes_test(may_use_catalogue_import)


def import_targets(user):
    """{form value: catalogue page} of the catalogues `user` may import into; with no
    catalogue on the site, {"new": None} if `user` may create it under the site's root."""
    catalogues = list(ProductIndexPage.objects.order_by("path"))
    if not catalogues:
        root = Site.objects.get(is_default_site=True).root_page
        return {NEW_CATALOGUE: None} if may_import(user, root) else {}
    return {str(page.pk): page for page in catalogues if may_import(user, page)}


class ImportForm(forms.Form):
    bundle = forms.FileField(
        label="Bundle",
        help_text="A .zip of the manifest (catalogue.json or catalogue.csv) and its media files.",
    )
    catalogue = forms.ChoiceField(
        label="Catalogue",
        error_messages={
            "invalid_choice": "You may not import into that catalogue, or it no longer exists.",
        },
    )
    dry_run = forms.BooleanField(
        label="Dry run",
        required=False,
        help_text="Only check the bundle and show what the import would do.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.targets = import_targets(user)
        self.fields["catalogue"].choices = [
            (value, page.title if page else "A new catalogue")
            for value, page in self.targets.items()
        ]

    def clean_bundle(self):
        upload = self.cleaned_data["bundle"]
        limit = settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE
        if not upload.name.lower().endswith(".zip"):
            raise forms.ValidationError(f"{upload.name}: the bundle must be a .zip file.")
        if upload.size > limit:
            raise forms.ValidationError(
                f"{upload.name} is larger than the limit of {filesizeformat(limit)}."
            )
        return upload

    def clean_catalogue(self):
        return self.targets[self.cleaned_data["catalogue"]]


def visible_job_or_404(request, job_id):
    job = ImportJob.visible_to(request.user).select_related("user").filter(pk=job_id).first()
    if job is None:
        raise Http404(f"no import job #{job_id}")
    return job


@import_role_required
def index(request):
    """Past jobs and the "New import" form; a valid upload becomes a job for review."""
    posted = request.method == "POST"
    form = ImportForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    if posted and form.is_valid():
        upload, parent = form.cleaned_data["bundle"], form.cleaned_data["catalogue"]
        try:
            job = create_job(
                file=upload,
                file_name=bundle_file_name(upload.name),
                user=request.user,
                parent=parent,
                dry_run=form.cleaned_data["dry_run"],
                review=True,
            )
        except TooManyJobs as refusal:
            form.add_error("bundle", str(refusal))
        else:
            messages.success(request, f"Import #{job.pk} of {job.bundle_name} is being planned.")
            return redirect("catalogue_import_admin:job", job.pk)
    paginator = WagtailPaginator(
        ImportJob.visible_to(request.user).select_related("user"), JOBS_PER_PAGE
    )
    jobs = paginator.get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "products/admin/import_index.html",
        {
            "header_title": "Catalogue import",
            "page_title": "Catalogue import",
            "header_icon": "upload",
            "form": form,
            "jobs": jobs,
            "elided_page_range": paginator.get_elided_page_range(jobs.number),
            "max_upload_size": settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE,
        },
        status=400 if form.errors else 200,
    )


@import_role_required
def job_page(request, job_id):
    """The job: its plan (to start or cancel), its progress, or its report."""
    job = visible_job_or_404(request, job_id)
    report = job.report_json()
    return TemplateResponse(
        request,
        "products/admin/import_job.html",
        {
            "header_title": f"Import #{job.pk}",
            "page_title": f"Import #{job.pk}",
            "page_subtitle": job.bundle_name,
            "header_icon": "upload",
            "job": job,
            "plan": job.plan,
            "report": report,
            "renditions": job.renditions() if job.ended and job.image_ids else None,
            # Polled by static/js/import-job.js until the job stops for review or ends.
            "follow": not job.ended and job.state != ImportJob.PLANNED,
        },
    )


@import_role_required
@require_POST
def start(request, job_id):
    job = visible_job_or_404(request, job_id)
    try:
        start_job(job)
    except JobStateConflict as conflict:
        messages.error(request, f"Not started: {conflict}.")
    else:
        messages.success(request, f"Import #{job.pk} started.")
    return redirect("catalogue_import_admin:job", job.pk)


@import_role_required
@require_POST
def cancel(request, job_id):
    job = visible_job_or_404(request, job_id)
    try:
        job = cancel_job(job)
    except JobStateConflict as conflict:
        messages.error(request, f"Not cancelled: {conflict}.")
    else:
        if job.state == ImportJob.CANCELLED:
            messages.success(request, f"Import #{job.pk} cancelled: nothing was imported.")
        else:
            messages.success(
                request, f"Cancelling import #{job.pk}: what it wrote so far is rolled back."
            )
    return redirect("catalogue_import_admin:job", job.pk)


@import_role_required
def status(request, job_id):
    """What the job page polls: the job's state and progress, not its plan or report (a
    10,000-product plan is over a megabyte: the page renders those when the state changes)."""
    job = visible_job_or_404(request, job_id)
    shown = job_json(job)
    return JsonResponse(
        {key: shown[key] for key in ("id", "url", "state", "progress", "waiting_because")}
        | {"planned": job.plan is not None, "cancel_requested": job.cancel_requested}
    )


@import_role_required
def report(request, job_id):
    """The import's `catalogue-report/1`, byte for byte as the API gives it, to save."""
    job = visible_job_or_404(request, job_id)
    content = job.report_json()
    if content is None:
        raise Http404(f"import job #{job.pk} has no report")
    response = JsonResponse(content)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.json"'
    return response


def admin_urls():
    """Registered under /admin/ by products/wagtail_hooks.py (admin access checked there)."""
    urls = [
        path("", index, name="index"),
        path("<int:job_id>/", job_page, name="job"),
        path("<int:job_id>/start", start, name="start"),
        path("<int:job_id>/cancel", cancel, name="cancel"),
        path("<int:job_id>/status.json", status, name="status"),
        path("<int:job_id>/report.json", report, name="report"),
    ]
    return (urls, "catalogue_import_admin")
