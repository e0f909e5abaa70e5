"""Import jobs: POST /api/catalogue/imports/, GET the job, POST .../cancel, the task that
runs them one at a time per catalogue, and media_audit's view of their kept bundles."""

import json
import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone
from wagtail.images import get_image_model
from wagtail.models import APIToken

from cms.media.audit import audit_media
from cms.media.renditions import ahead_of_time_specs
from products.catalogue.planner import make_plan
from products.jobs import tasks
from products.jobs.models import ImportJob
from products.jobs.tasks import run_import_job
from products.models import ProductPage
from tests.factories import ProductPageFactory
from tests.products.catalogue_helpers import (
    MANIFEST,
    group_with_rights,
    site_state,
    write_bundle,
    zip_folder,
)

pytestmark = pytest.mark.django_db
URL = "/api/catalogue/imports/"


@pytest.fixture
def bundle_zip(tmp_path):
    return zip_folder(write_bundle(tmp_path / "bundle", MANIFEST), tmp_path / "chairs.zip")


@pytest.fixture
def importer_user(django_user_model, home):
    group = group_with_rights(home, ("add_page", "publish_page"), "Catalogue integrators")
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = django_user_model.objects.create_user("integrator", password="x")
    user.groups.add(group)
    return user


@pytest.fixture
def token(importer_user):
    return token_for(importer_user)


def token_for(user):
    return APIToken.create_token(user=user, name="integration")[1]


def auth(token):
    return {"Authorization": f"Bearer {token}"} if token else {}


def start(client, bundle_zip, token, query="", url=URL):
    with bundle_zip.open("rb") as file:
        return client.post(url + query, {"bundle": file}, headers=auth(token))


def start_queued(client, bundle_zip, token, capture, query=""):
    """A job queued (dummy backend) and its row."""
    with capture(execute=True):
        response = start(client, bundle_zip, token, query)
    assert response.status_code == 202, response.content
    return ImportJob.objects.get(pk=response.json()["id"])


def status(client, job, token):
    return client.get(f"{URL}{job.pk}/", headers=auth(token))


def cancel(client, job, token):
    return client.post(f"{URL}{job.pk}/cancel", headers=auth(token))


def job_bundles():
    return sorted(default_storage.listdir("import-jobs")[1]) if _has_jobs_folder() else []


def _has_jobs_folder():
    try:
        default_storage.listdir("import-jobs")
    except FileNotFoundError:
        return False
    return True


def test_202_with_location_then_the_report(
    client, bundle_zip, token, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = start(client, bundle_zip, token)
    assert response.status_code == 202
    job = response.json()
    assert response["Location"] == job["url"] == f"{URL}{job['id']}/"
    # The immediate backend ran it at the commit.
    shown = client.get(response["Location"], headers=auth(token)).json()
    assert shown["state"] == "succeeded" and shown["started_by"] == "integrator"
    assert shown["report"]["format"] == "catalogue-report/1"
    assert shown["report"]["products"]["created"] == 2
    assert shown["plan"]["products"] == {"create": 2, "update": 0, "unchanged": 0, "unpublish": 0}
    assert shown["progress"] == {"products": {"done": 2, "total": 2}}
    # Three images created, each queued its renditions; the immediate backend made them.
    assert shown["renditions"] == {"queued": 3, "ready": 3}
    assert ProductPage.objects.filter(sku__in=["CH-1001", "CH-1002"]).count() == 2
    assert job_bundles() == []


def test_the_report_is_byte_for_byte_the_synchronous_one(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    with transaction.atomic():
        synchronous = start(client, bundle_zip, token, url="/api/catalogue/import/")
        transaction.set_rollback(True)
    assert synchronous.status_code == 200 and ProductPage.objects.count() == 0
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    run_import_job.call(job.pk)
    report = status(client, job, token).json()["report"]
    assert json.dumps(report, cls=DjangoJSONEncoder).encode() == synchronous.content


def test_a_dry_run_job_writes_nothing(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    before = site_state()
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?dry_run=1")
    run_import_job.call(job.pk)
    shown = status(client, job, token).json()
    assert shown["state"] == "succeeded" and shown["dry_run"] is True
    assert shown["report"]["dry_run"] is True and shown["report"]["products"]["created"] == 2
    assert shown["renditions"] == {"queued": 0, "ready": 0}
    assert site_state() == before


def test_another_users_token_gets_404_and_anonymous_401(
    client, bundle_zip, token, queued, django_user_model, django_capture_on_commit_callbacks
):
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    other = django_user_model.objects.create_user("other", password="x")
    assert status(client, job, token_for(other)).status_code == 404
    assert cancel(client, job, token_for(other)).status_code == 404
    assert status(client, job, None).status_code == 401
    assert cancel(client, job, None).status_code == 401
    assert start(client, bundle_zip, None).status_code == 401
    # A superuser sees every job.
    boss = django_user_model.objects.create_superuser("boss", password="x")
    assert status(client, job, token_for(boss)).json()["state"] == "queued"


def test_the_upload_is_checked_as_for_the_synchronous_endpoint(
    client, bundle_zip, queued, django_user_model, token, settings
):
    reader = django_user_model.objects.create_user("reader", password="x")
    assert start(client, bundle_zip, token_for(reader)).status_code == 403
    assert start(client, bundle_zip, token, "?parent=nowhere").status_code == 400
    settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE = 1000
    assert start(client, bundle_zip, token).status_code == 413
    assert ImportJob.objects.count() == 0 and job_bundles() == []


def test_cancel_a_queued_job(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    before = site_state()
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    assert job.state == "queued" and job_bundles() == [os.path.basename(job.bundle.name)]
    response = cancel(client, job, token)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert job_bundles() == []
    run_import_job.call(job.pk)  # the queued task, when a worker gets to it: nothing
    assert status(client, job, token).json()["state"] == "cancelled"
    assert site_state() == before
    response = cancel(client, job, token)
    assert response.status_code == 409 and "already ended" in response.json()["error"]


def test_cancel_a_running_job_rolls_it_back_whole(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    before = site_state()
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    answers = []

    def cancel_once(sender, instance, created, **kwargs):
        # The first product is written: the job is running, its files stored.
        if not answers:
            answers.append(cancel(client, job, token))

    post_save.connect(cancel_once, sender=ProductPage, dispatch_uid="test-cancel")
    try:
        run_import_job.call(job.pk)
    finally:
        post_save.disconnect(sender=ProductPage, dispatch_uid="test-cancel")
    assert answers[0].status_code == 202 and answers[0].json()["state"] == "running"
    shown = status(client, job, token).json()
    assert shown["state"] == "cancelled" and shown["report"] is None
    assert shown["progress"]["products"]["done"] == 0
    assert site_state() == before  # no pages, no image rows, no files, no bundle


def test_a_second_job_on_the_same_catalogue_waits(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    first = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    second = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    a_worker_has_it(first)
    backend = run_import_job.get_backend()
    backend.clear()
    run_import_job.call(second.pk)
    shown = status(client, second, token).json()
    assert shown["state"] == "queued"
    assert shown["waiting_because"] == "waiting for another import on “a new catalogue” to end"
    # Queued again for a little later.
    (again,) = backend.results
    assert again.args == [second.pk] and again.task.run_after is not None
    assert ProductPage.objects.count() == 0
    # The first ends: the second runs.
    ImportJob.objects.filter(pk=first.pk).update(state="succeeded")
    run_import_job.call(second.pk)
    shown = status(client, second, token).json()
    assert shown["state"] == "succeeded" and shown["waiting_because"] == ""
    assert ProductPage.objects.count() == 2


def a_worker_has_it(*jobs):
    """The jobs are running in a live worker (a fresh heartbeat)."""
    ImportJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
        state="running", heartbeat_at=timezone.now()
    )


def test_a_dry_run_does_not_wait(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    first = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    a_worker_has_it(first)
    dry = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?dry_run=1")
    run_import_job.call(dry.pk)
    assert status(client, dry, token).json()["state"] == "succeeded"


def test_an_invalid_bundle_fails_with_the_reports_errors(
    client, tmp_path, token, queued, django_capture_on_commit_callbacks
):
    data = {"format": "catalogue/1", "products": [{"sku": "A", "title": "A", "price": 1}]}
    bad = zip_folder(write_bundle(tmp_path / "bad", data), tmp_path / "bad.zip")
    job = start_queued(client, bad, token, django_capture_on_commit_callbacks)
    run_import_job.call(job.pk)
    shown = status(client, job, token).json()
    assert shown["state"] == "failed" and shown["report"]["ok"] is False
    assert shown["report"]["errors"] == [
        {
            "where": "products[0].price",
            "message": "a price is a string such as “129.00” (a JSON number loses precision)",
        }
    ]
    assert shown["plan"]["errors"] == shown["report"]["errors"]
    assert job_bundles() == []


def test_a_broken_zip_names_the_uploaded_file(
    client, tmp_path, token, queued, django_capture_on_commit_callbacks
):
    broken = tmp_path / "supplier's catalogue.zip"
    broken.write_bytes(b"not a zip at all")
    job = start_queued(client, broken, token, django_capture_on_commit_callbacks)
    run_import_job.call(job.pk)
    shown = status(client, job, token).json()
    assert shown["state"] == "failed"
    assert "supplier's catalogue.zip" in json.dumps(shown["report"]["errors"])


def test_renditions_ready_counts_images_with_every_rendition(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    run_import_job.call(job.pk)  # the rendition tasks are recorded, not run
    assert status(client, job, token).json()["renditions"] == {"queued": 3, "ready": 0}
    job.refresh_from_db()
    image = get_image_model().objects.get(pk=job.image_ids[0])
    image.get_renditions(*ahead_of_time_specs())
    assert status(client, job, token).json()["renditions"] == {"queued": 3, "ready": 1}


def test_media_audit_keeps_an_unfinished_jobs_bundle_and_sweeps_an_ended_ones(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    running = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    ImportJob.objects.filter(pk=running.pk).update(state="running")  # its worker died
    ended = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    leftover = ended.bundle.name
    # The job ended but its bundle could not be deleted (say, S3 was down): the field is
    # empty, the file is still there. And a bundle whose job row is gone.
    ImportJob.objects.filter(pk=ended.pk).update(state="failed", bundle="")
    gone = default_storage.save("import-jobs/lost.zip", bundle_zip.open("rb"))
    report = audit_media(delete=True, grace=0)
    assert sorted(report.deleted) == sorted([leftover, gone])
    assert default_storage.exists(running.bundle.name)
    assert not default_storage.exists(leftover) and not default_storage.exists(gone)
    # Within the grace period, nothing is deleted.
    ImportJob.objects.filter(pk=running.pk).update(state="failed", bundle="")
    report = audit_media(delete=True, grace=3600)
    assert report.deleted == [] and [name for name, _ in report.kept] == [running.bundle.name]


def test_the_progress_callback_notices_a_cancel_and_saves_at_most_once_a_second(
    bundle_zip, importer_user, monkeypatch
):
    from products.jobs import progress

    job = ImportJob.objects.create(catalogue_title="x", bundle_name="x.zip", state="running")
    recorder = progress.ProgressRecorder(job)
    recorder(1, 10)
    job.refresh_from_db()
    assert (job.products_done, job.products_total) == (1, 10)
    recorder(2, 10)  # within the second: not saved
    job.refresh_from_db()
    assert job.products_done == 1
    ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
    later = time.monotonic() + 5
    monkeypatch.setattr(progress.time, "monotonic", lambda: later)
    with pytest.raises(progress.ImportCancelled):
        recorder(3, 10)
    assert recorder.cancelled


def test_media_audit_command_lists_the_jobs_folder(bundle_zip):
    default_storage.save("import-jobs/lost.zip", bundle_zip.open("rb"))
    out = StringIO()
    call_command("media_audit", stdout=out)
    assert "import-jobs/lost.zip" in out.getvalue()


def test_polling_a_job_costs_three_queries(
    client,
    bundle_zip,
    token,
    queued,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
):
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    run_import_job.call(job.pk)
    # The token and its user, the job and its user, the renditions of its images.
    with django_assert_num_queries(3):
        assert status(client, job, token).json()["state"] == "succeeded"


def start_job(client, job, token):
    return client.post(f"{URL}{job.pk}/start", headers=auth(token))


def test_a_job_made_for_review_stops_at_its_plan_then_runs_when_started(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    before = site_state()
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?review=1")
    run_import_job.call(job.pk)
    shown = status(client, job, token).json()
    assert shown["state"] == "planned" and shown["report"] is None
    assert [(a["sku"], a["action"]) for a in shown["plan"]["actions"]] == [
        ("CH-1001", "create"),
        ("CH-1002", "create"),
    ]
    assert len(job_bundles()) == 1  # kept for the start
    assert site_state() == before | {"files": [f"import-jobs/{job_bundles()[0]}"]}

    with django_capture_on_commit_callbacks(execute=False) as queued_tasks:
        response = start_job(client, job, token)
    assert response.status_code == 202 and response.json()["state"] == "queued"
    assert len(queued_tasks) == 1
    run_import_job.call(job.pk)
    shown = status(client, job, token).json()
    assert shown["state"] == "succeeded" and shown["report"]["products"]["created"] == 2
    assert job_bundles() == []
    # Started twice: the second is refused, the job has ended.
    assert start_job(client, job, token).status_code == 409


def test_a_reviewed_plan_the_site_moved_away_from_comes_back_for_review(
    client, bundle_zip, token, importer_user, queued, django_capture_on_commit_callbacks, catalogue
):
    job = start_queued(
        client,
        bundle_zip,
        token,
        django_capture_on_commit_callbacks,
        f"?review=1&parent={catalogue.pk}",
    )
    run_import_job.call(job.pk)
    with django_capture_on_commit_callbacks(execute=False):
        assert start_job(client, job, token).status_code == 202
    # Meanwhile the integrator adds one of the bundle's products by hand.
    ProductPageFactory(
        parent=catalogue, title="Hand-made chair", sku="CH-1001", owner=importer_user
    )
    run_import_job.call(job.pk)
    shown = status(client, job, token).json()
    assert shown["state"] == "planned", shown["report"]
    assert "changed since the plan was reviewed" in shown["waiting_because"]
    assert ("CH-1001", "update") in [(a["sku"], a["action"]) for a in shown["plan"]["actions"]]
    assert ProductPage.objects.filter(sku="CH-1002").count() == 0  # nothing applied


def test_a_planned_job_can_be_cancelled_and_its_bundle_goes(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?review=1")
    run_import_job.call(job.pk)
    response = cancel(client, job, token)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert job_bundles() == []
    assert start_job(client, job, token).status_code == 409


def test_an_edit_after_the_review_sends_the_plan_back_even_with_the_same_actions(
    client, bundle_zip, token, importer_user, queued, django_capture_on_commit_callbacks, catalogue
):
    """The product's action is `update` before and after the edit: the summary alone would
    not see it; the plan's fingerprint (what it read from the site) does."""
    page = ProductPageFactory(
        parent=catalogue, title="Oak dining chair", sku="CH-1001", owner=importer_user
    )
    job = start_queued(
        client,
        bundle_zip,
        token,
        django_capture_on_commit_callbacks,
        f"?review=1&parent={catalogue.pk}",
    )
    run_import_job.call(job.pk)
    reviewed = status(client, job, token).json()["plan"]
    assert ("CH-1001", "update") in [(a["sku"], a["action"]) for a in reviewed["actions"]]
    with django_capture_on_commit_callbacks(execute=False):
        assert start_job(client, job, token).status_code == 202
    # Someone edits the product after the review.
    page.summary = "Edited by hand after the review."
    page.save_revision().publish()
    run_import_job.call(job.pk)
    shown = status(client, job, token).json()
    assert shown["state"] == "planned" and "changed since" in shown["waiting_because"]
    assert [a["action"] for a in shown["plan"]["actions"]] == [
        a["action"] for a in reviewed["actions"]
    ]
    assert shown["plan"]["fingerprint"] != reviewed["fingerprint"]
    page.refresh_from_db()
    assert page.summary == "Edited by hand after the review."  # not overwritten


def test_a_plan_made_twice_from_the_same_site_has_the_same_fingerprint(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?review=1")
    run_import_job.call(job.pk)
    with django_capture_on_commit_callbacks(execute=False):
        assert start_job(client, job, token).status_code == 202
    run_import_job.call(job.pk)
    assert status(client, job, token).json()["state"] == "succeeded"


def test_running_dry_runs_and_plans_for_review_do_not_hold_up_an_import(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks
):
    dry = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?dry_run=1")
    review = start_queued(
        client, bundle_zip, token, django_capture_on_commit_callbacks, "?review=1"
    )
    a_worker_has_it(dry, review)
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    run_import_job.call(job.pk)
    assert status(client, job, token).json()["state"] == "succeeded"


@pytest.mark.parametrize("query", ["?dry_run=1", "?review=1"])
def test_a_cancel_while_the_plan_is_made_ends_the_job(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks, monkeypatch, query
):
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, query)
    answers = []

    def plan_then_cancel(*args, **kwargs):
        plan = make_plan(*args, **kwargs)
        answers.append(cancel(client, job, token))
        return plan

    monkeypatch.setattr(tasks, "make_plan", plan_then_cancel)
    run_import_job.call(job.pk)
    assert answers[0].status_code == 202  # it was running
    shown = status(client, job, token).json()
    assert shown["state"] == "cancelled" and shown["report"] is None
    assert job_bundles() == []


def test_a_user_may_have_only_a_few_jobs_that_have_not_ended(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks, settings
):
    """Each open job keeps its bundle (up to 512 MiB): one token cannot fill the disk."""
    settings.CATALOGUE_IMPORT_MAX_OPEN_JOBS = 2
    first = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?review=1")
    refused = start(client, bundle_zip, token)
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "2 imports that have not ended (at most 2)" in refused.json()["error"]
    assert ImportJob.objects.count() == 2 and len(job_bundles()) == 2
    cancel(client, first, token)
    assert start(client, bundle_zip, token).status_code == 202


def test_a_job_whose_user_is_gone_or_inactive_fails_without_planning(
    client, bundle_zip, token, importer_user, queued, django_capture_on_commit_callbacks
):
    """Planning without a user is the command line's mode (the site's own rights): a job
    must never fall back to it when its user is deleted (SET_NULL) or deactivated."""
    before = site_state()
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    importer_user.is_active = False
    importer_user.save()
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.plan is None
    assert "no longer exists or is inactive" in job.report_json()["errors"][0]["message"]
    assert site_state() == before


@pytest.mark.parametrize("how", ["revoked", "deleted"])
def test_a_job_whose_token_is_revoked_before_it_runs_fails_without_planning(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks, how
):
    """Revoking a token (a leaked one, say) also stops the imports it queued; a token that
    starts a reviewed job takes over from the one that made it."""
    before = site_state()
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    api_token = APIToken.objects.get()
    api_token.revoke() if how == "revoked" else api_token.delete()
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.state == "failed" and job.plan is None
    message = job.report_json()["errors"][0]["message"]
    assert message == "the API token that started this import was revoked"
    assert site_state() == before and job_bundles() == []


def test_a_reviewed_job_started_with_a_new_token_runs(
    client, bundle_zip, token, importer_user, queued, django_capture_on_commit_callbacks
):
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks, "?review=1")
    run_import_job.call(job.pk)
    APIToken.objects.get().revoke()
    new_token = token_for(importer_user)
    with django_capture_on_commit_callbacks(execute=False):
        assert start_job(client, job, new_token).status_code == 202
    run_import_job.call(job.pk)
    assert status(client, job, new_token).json()["state"] == "succeeded"


def test_a_job_whose_worker_died_is_ended_by_the_next_one_on_its_catalogue(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks, settings
):
    """A worker killed mid-import leaves its job `running`: once it has been silent for
    CATALOGUE_IMPORT_JOB_STALE_SECONDS, the next job ends it (failed, bundle deleted) and
    runs, instead of waiting for ever."""
    dead = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    silent_since = timezone.now() - timedelta(
        seconds=settings.CATALOGUE_IMPORT_JOB_STALE_SECONDS + 1
    )
    ImportJob.objects.filter(pk=dead.pk).update(state="running", heartbeat_at=silent_since)
    job = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    run_import_job.call(job.pk)
    assert status(client, job, token).json()["state"] == "succeeded"
    shown = status(client, dead, token).json()
    assert shown["state"] == "failed"
    assert "stopped without finishing it" in shown["report"]["errors"][0]["message"]
    assert job_bundles() == []


def test_a_cancel_ends_a_job_whose_worker_died_at_once(
    client, bundle_zip, token, queued, django_capture_on_commit_callbacks, settings
):
    live = start_queued(client, bundle_zip, token, django_capture_on_commit_callbacks)
    a_worker_has_it(live)
    response = cancel(client, live, token)
    assert response.status_code == 202 and response.json()["state"] == "running"  # flagged

    settings.CATALOGUE_IMPORT_JOB_STALE_SECONDS = 0  # its worker has been silent too long
    response = cancel(client, live, token)
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert job_bundles() == []
