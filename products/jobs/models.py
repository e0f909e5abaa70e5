"""ImportJob: one catalogue import run in the background, from upload to report."""

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count
from django.utils import timezone
from wagtail.images import get_image_model

from cms.media.renditions import ahead_of_time_specs

BUNDLE_FOLDER = "import-jobs"
logger = logging.getLogger(__name__)


class ImportJob(models.Model):
    """An import of one uploaded bundle.

    queued -> running -> succeeded | failed | cancelled. A job made for review goes queued ->
    running (planning) -> planned, and waits there to be started (-> queued -> running ...) or
    cancelled. A planned or queued job can be cancelled at once. The bundle is kept in the
    default (private) storage under `import-jobs/` until the job ends, so that a worker on
    another node can read it; then it is deleted and `bundle` emptied. A worker that dies
    mid-import leaves the job `running` with its bundle (the import itself rolled back with
    the worker's transaction).
    """

    PLANNED = "planned"
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STATES = [(s, s) for s in (PLANNED, QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED)]
    ENDED = (SUCCEEDED, FAILED, CANCELLED)
    # What the end of a job sets (ImportJob.end).
    RESULT_FIELDS = [
        "state",
        "finished_at",
        "waiting_because",
        "report",
        "image_ids",
        "products_done",
        "products_total",
    ]

    state = models.CharField(max_length=10, choices=STATES, default=QUEUED)
    dry_run = models.BooleanField(default=False)
    # Stop at `planned` once the plan is made, until someone starts it (services.start_job).
    review = models.BooleanField(default=False)
    # The catalogue page products go under; None: the import creates the site's catalogue.
    parent = models.ForeignKey(
        "wagtailcore.Page", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Named in messages even after the page is gone ("waiting for another import on “Products”
    # to end").
    catalogue_title = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The API token that started it (HTTP): a job whose token is revoked or deleted before it
    # runs fails (`by_token` remembers there was one once the token row is gone).
    token = models.ForeignKey(
        "wagtailcore.APIToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_token = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # A running job's sign of life: set when it starts and with each progress save. A job
    # silent for CATALOGUE_IMPORT_JOB_STALE_SECONDS lost its worker (killed, node gone).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    products_done = models.PositiveIntegerField(default=0)
    products_total = models.PositiveIntegerField(default=0)
    plan = models.JSONField(null=True, blank=True)  # the planner's plan.summary()
    # The plan as it was when someone started a reviewed job: only that plan is applied.
    reviewed_plan = models.JSONField(null=True, blank=True)
    # The import's `catalogue-report/1`, as text: a JSON column (jsonb) would reorder its keys.
    report = models.TextField(blank=True)
    waiting_because = models.CharField(max_length=500, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # Images the import created: their renditions are queued after the commit.
    image_ids = models.JSONField(default=list, blank=True)
    bundle = models.FileField(upload_to=f"{BUNDLE_FOLDER}/", max_length=200, blank=True)
    bundle_name = models.CharField(max_length=200)  # the uploaded file's name, for reports

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "parent"], name="importjob_state_parent")]

    def __str__(self):
        return f"import #{self.pk} on “{self.catalogue_title}” ({self.state})"

    @classmethod
    def visible_to(cls, user):
        """The jobs `user` may see: their own, or every job for a superuser. One rule for the
        API and the admin view."""
        jobs = cls.objects.all()
        return jobs if user.is_superuser else jobs.filter(user_id=user.pk)

    @property
    def ended(self):
        return self.state in self.ENDED

    @property
    def stale(self):
        """Running, and silent for longer than a live worker ever is (see heartbeat_at)."""
        limit = timedelta(seconds=settings.CATALOGUE_IMPORT_JOB_STALE_SECONDS)
        return self.state == self.RUNNING and (
            self.heartbeat_at is None or self.heartbeat_at < timezone.now() - limit
        )

    @property
    def writes(self):
        """Whether this run of the job may write: not a dry run, nor the planning of a job
        made for review. Only such runs wait for another import on the same catalogue."""
        return not self.dry_run and not (self.review and self.reviewed_plan is None)

    def report_json(self):
        """The report as the import made it (keys in their order), or None before the end."""
        return json.loads(self.report) if self.report else None

    def end(self, state, report=None):
        """Record the end and delete the bundle: it is never needed again."""
        self.state = state
        self.finished_at = timezone.now()
        self.waiting_because = ""
        if report is not None:
            self.report = json.dumps(report, ensure_ascii=False)
        self.delete_bundle()
        # Not `cancel_requested`: a cancel that came too late stays recorded.
        self.save(update_fields=[*self.RESULT_FIELDS, "bundle"])

    def stop_for_review(self, because=""):
        """The plan is made: wait, bundle kept, for someone to start or cancel the job."""
        self.state = self.PLANNED
        self.reviewed_plan = None
        self.waiting_because = because
        self.save(update_fields=["state", "reviewed_plan", "waiting_because"])

    def delete_bundle(self):
        """Delete the kept bundle and empty the field. A storage error is logged, not raised:
        the job's end is recorded anyway and `media_audit` sweeps the file later (nothing
        references it once the field is empty)."""
        if not self.bundle:
            return
        try:
            self.bundle.storage.delete(self.bundle.name)
        except Exception:  # noqa: BLE001 - the sweep removes what is left
            logger.exception("Could not delete the bundle %s of %s", self.bundle.name, self)
        self.bundle = ""

    def renditions(self):
        """Images created (each queued its renditions after the commit) and how many of them
        have every rendition made ahead of time: one query."""
        queued = len(self.image_ids)
        if not queued:
            return {"queued": 0, "ready": 0}
        specs = ahead_of_time_specs()
        ready = (
            get_image_model()
            .get_rendition_model()
            .objects.filter(image_id__in=self.image_ids, filter_spec__in=specs)
            .values("image_id")
            .annotate(made=Count("filter_spec", distinct=True))
            .filter(made=len(specs))
            .count()
        )
        return {"queued": queued, "ready": ready}
