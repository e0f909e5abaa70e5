"""The admin's "Catalogue import" view (products/jobs/admin_views.py), through the test
client: who gets it, upload -> plan -> start or cancel -> report, and the JSON it polls."""

import json
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.serializers.json import DjangoJSONEncoder

from products.jobs.models import ImportJob
from products.jobs.tasks import run_import_job
from products.models import ProductPage
from tests.products.catalogue_helpers import MANIFEST, write_bundle, zip_folder

pytestmark = pytest.mark.django_db
URL = "/admin/catalogue-import/"
XHR = {"X-Requested-With": "XMLHttpRequest"}


def member(django_user_model, group, name):
    user = django_user_model.objects.create_user(name, password="pw")
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def moe(django_user_model):
    return member(django_user_model, "Moderators", "moe")


@pytest.fixture
def moderator(client, moe):
    client.force_login(moe)
    return client


@pytest.fixture
def bundle_zip(tmp_path):
    return zip_folder(write_bundle(tmp_path / "bundle", MANIFEST), tmp_path / "chairs.zip")


def upload(client, bundle_zip, catalogue="", capture=None, **fields):
    with bundle_zip.open("rb") as file:
        data = {"bundle": file, "catalogue": str(catalogue), **fields}
        if capture is None:
            return client.post(URL, data)
        with capture(execute=True):
            return client.post(URL, data)


def planned_job(client, bundle_zip, catalogue, capture):
    """Upload (dummy backend), then run the planning as a worker would: a `planned` job."""
    response = upload(client, bundle_zip, catalogue.pk, capture)
    assert response.status_code == 302, response.content.decode()
    job = ImportJob.objects.get()
    assert response["Location"] == f"{URL}{job.pk}/"
    assert job.state == ImportJob.QUEUED and job.review
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.PLANNED
    return job


def messages_of(response):
    """The messages a page shows (Wagtail's messages carry trailing markup of their own)."""
    return [str(m).strip() for m in response.context["messages"]]


def a_job(user, catalogue, **fields):
    fields.setdefault("bundle_name", "x.zip")
    return ImportJob.objects.create(
        user=user, parent=catalogue, catalogue_title=catalogue.title, **fields
    )


def test_moderators_and_superusers_get_the_menu_item_and_the_view(
    client, admin_client, django_user_model, moe, catalogue
):
    client.force_login(moe)
    assert '"catalogue-import"' in client.get("/admin/").content.decode()
    assert client.get(URL).status_code == 200
    assert '"catalogue-import"' in admin_client.get("/admin/").content.decode()
    assert admin_client.get(URL).status_code == 200


def test_editors_get_neither_menu_item_nor_view(client, django_user_model, moe, catalogue):
    job = a_job(moe, catalogue, state=ImportJob.PLANNED, plan={})
    client.force_login(member(django_user_model, "Editors", "edith"))
    assert '"catalogue-import"' not in client.get("/admin/").content.decode()
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    for path in ("", "status.json", "report.json"):
        assert client.get(f"{URL}{job.pk}/{path}", headers=XHR).status_code == 403
    client.post(f"{URL}{job.pk}/cancel")
    job.refresh_from_db()
    assert job.state == ImportJob.PLANNED


def test_upload_shows_the_plan_then_start_imports_and_the_report_downloads(
    moderator, bundle_zip, catalogue, queued, django_capture_on_commit_callbacks
):
    job = planned_job(moderator, bundle_zip, catalogue, django_capture_on_commit_callbacks)
    html = moderator.get(f"{URL}{job.pk}/").content.decode()
    plan = html[html.index("data-plan>") :]
    assert re.search(r"<td>create</td><td>CH-1001</td><td>Oak dining chair</td>", plan)
    assert re.search(r"<td>create</td><td>CH-1002</td><td>Walnut chair</td>", plan)
    assert "2 to create, 0 to update, 0 to unpublish, 0 unchanged" in html
    assert "Media: 4 new, 0 reused" in html
    assert "Start import" in html and "Cancel" in html
    assert "import-job.js" not in html  # nothing to follow while it waits for review
    assert ProductPage.objects.count() == 0  # planned only

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator.post(f"{URL}{job.pk}/start", follow=True)
    assert f"Import #{job.pk} started." in messages_of(response)
    html = response.content.decode()
    assert "Queued: waiting to run." in html and "import-job.js" in html
    run_import_job.call(job.pk)
    assert ProductPage.objects.filter(sku__in=["CH-1001", "CH-1002"]).count() == 2

    html = moderator.get(f"{URL}{job.pk}/").content.decode()
    assert "succeeded" in html and "Download report" in html
    assert "Start import" not in html and ">Cancel<" not in html
    # The dummy backend made no renditions: the three new images' are queued, none ready.
    assert "Renditions: queued for 3 new images; 0 of them have every rendition made." in html
    download = moderator.get(f"{URL}{job.pk}/report.json")
    assert download["Content-Type"] == "application/json"
    assert download["Content-Disposition"] == f'attachment; filename="import-{job.pk}-report.json"'
    job.refresh_from_db()
    assert download.content == json.dumps(job.report_json(), cls=DjangoJSONEncoder).encode()
    assert json.loads(download.content)["products"]["created"] == 2


def test_cancel_a_planned_job_then_start_is_refused_with_a_message(
    moderator, bundle_zip, catalogue, queued, django_capture_on_commit_callbacks
):
    job = planned_job(moderator, bundle_zip, catalogue, django_capture_on_commit_callbacks)
    response = moderator.post(f"{URL}{job.pk}/cancel", follow=True)
    assert f"Import #{job.pk} cancelled: nothing was imported." in messages_of(response)
    assert "Cancelled: nothing was imported." in response.content.decode()
    job.refresh_from_db()
    assert job.state == ImportJob.CANCELLED and not job.bundle

    response = moderator.post(f"{URL}{job.pk}/start", follow=True)
    refusal = f"Not started: import job #{job.pk} is cancelled, not planned."
    assert messages_of(response) == [refusal]
    response = moderator.post(f"{URL}{job.pk}/cancel", follow=True)
    assert messages_of(response) == [
        f"Not cancelled: import job #{job.pk} has already ended (cancelled)."
    ]
    assert moderator.get(f"{URL}{job.pk}/report.json").status_code == 404
    assert moderator.get(f"{URL}{job.pk}/start").status_code == 405
    assert ProductPage.objects.count() == 0


def test_a_dry_run_is_not_held_for_review_and_writes_nothing(
    moderator, bundle_zip, catalogue, queued, django_capture_on_commit_callbacks
):
    upload(moderator, bundle_zip, catalogue.pk, django_capture_on_commit_callbacks, dry_run="on")
    job = ImportJob.objects.get()
    assert job.dry_run and not job.review
    run_import_job.call(job.pk)
    html = moderator.get(f"{URL}{job.pk}/").content.decode()
    assert "the import would succeed" in html and "Download report" in html
    assert ProductPage.objects.count() == 0


def test_oversized_and_invalid_uploads_are_form_errors(
    moderator, bundle_zip, catalogue, settings, tmp_path
):
    settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE = 100
    response = upload(moderator, bundle_zip, catalogue.pk)
    assert response.status_code == 400
    assert "chairs.zip is larger than the limit of 100\xa0bytes." in response.content.decode()

    settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE = 10_000_000
    notes = tmp_path / "notes.txt"
    notes.write_text("not a bundle")
    html = upload(moderator, notes, catalogue.pk).content.decode()
    assert "notes.txt: the bundle must be a .zip file." in html
    html = moderator.post(URL, {"catalogue": catalogue.pk}).content.decode()
    assert "This field is required." in html
    html = upload(moderator, bundle_zip, 999_999).content.decode()
    assert "You may not import into that catalogue, or it no longer exists." in html
    assert ImportJob.objects.count() == 0


def test_a_bundle_that_cannot_be_read_fails_with_its_errors_shown(
    moderator, catalogue, queued, django_capture_on_commit_callbacks, tmp_path
):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK not really a zip")
    upload(moderator, broken, catalogue.pk, django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    run_import_job.call(job.pk)
    job.refresh_from_db()
    assert job.state == ImportJob.FAILED
    html = moderator.get(f"{URL}{job.pk}/").content.decode()
    assert "nothing was imported" in html and "data-errors" in html
    where = job.report_json()["errors"][0]["where"]
    assert f"<code>{where}</code>" in html


def test_without_a_catalogue_the_form_offers_a_new_one(
    moderator, bundle_zip, home, queued, django_capture_on_commit_callbacks
):
    html = moderator.get(URL).content.decode()
    assert '<option value="new">A new catalogue</option>' in html
    response = upload(moderator, bundle_zip, "new", django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.parent is None and job.catalogue_title == "a new catalogue"


def test_the_form_lists_only_catalogues_the_user_may_import_into(
    moderator, catalogue, admin_client
):
    html = moderator.get(URL).content.decode()
    assert f'<option value="{catalogue.pk}">{catalogue.title}</option>' in html
    assert 'value="new"' not in html  # a catalogue exists: it is not created again


def test_following_a_running_job(moderator, moe, catalogue):
    job = a_job(
        moe,
        catalogue,
        state=ImportJob.RUNNING,
        plan={"products": {}, "media": {}, "actions": [], "errors": [], "warnings": []},
        products_done=1,
        products_total=2,
    )
    html = moderator.get(f"{URL}{job.pk}/").content.decode()
    assert "1 of 2 products" in html
    assert '<progress max="2" value="1" data-job-progress>' in html
    assert f'data-status-url="{URL}{job.pk}/status.json"' in html
    assert "/static/js/import-job.js" in html
    assert "This page does not update by itself: refresh to see progress." in html
    assert "<script>" not in html.split("import-job.js")[0][-200:]  # a file, not inline

    ImportJob.objects.filter(pk=job.pk).update(state=ImportJob.QUEUED, plan=None)
    assert "Planning…" in moderator.get(f"{URL}{job.pk}/").content.decode()

    ImportJob.objects.filter(pk=job.pk).update(
        waiting_because="waiting for another import on “Products” to end"
    )
    html = moderator.get(f"{URL}{job.pk}/").content.decode()
    assert "Waiting for another import on “Products” to end." in html


def test_status_json_is_the_jobs_state_for_its_starter_and_superusers(
    client, admin_client, django_user_model, moe, catalogue
):
    job = a_job(moe, catalogue, state=ImportJob.RUNNING, products_done=3, products_total=9)
    job.plan = {"actions": [{"sku": f"S-{n}", "title": "T", "action": "create"} for n in range(9)]}
    job.save()
    client.force_login(moe)
    shown = client.get(f"{URL}{job.pk}/status.json").json()
    assert shown == {
        "id": job.pk,
        "url": f"/api/catalogue/imports/{job.pk}/",
        "state": "running",
        "progress": {"products": {"done": 3, "total": 9}},
        "waiting_because": "",
        "planned": True,
        "cancel_requested": False,
    }  # not the plan: polled every 2 s
    assert admin_client.get(f"{URL}{job.pk}/status.json").status_code == 200

    client.force_login(member(django_user_model, "Moderators", "mona"))
    assert client.get(f"{URL}{job.pk}/status.json").status_code == 404
    assert client.get(f"{URL}{job.pk}/").status_code == 404
    assert client.post(f"{URL}{job.pk}/cancel").status_code == 404
    client.logout()
    response = client.get(f"{URL}{job.pk}/status.json")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_list_shows_own_jobs_newest_first_twenty_a_page(moderator, moe, admin_user, catalogue):
    jobs = [a_job(moe, catalogue, state=ImportJob.SUCCEEDED) for _ in range(21)]
    a_job(admin_user, catalogue, bundle_name="theirs.zip")
    html = moderator.get(URL).content.decode()
    shown = [int(n) for n in re.findall(r'data-job="(\d+)"', html)]
    assert shown == [job.pk for job in reversed(jobs)][:20]
    assert "Page 1 of 2" in html
    html = moderator.get(URL + "?p=2").content.decode()
    assert re.findall(r'data-job="(\d+)"', html) == [str(jobs[0].pk)]
    assert "theirs.zip" not in html


def test_the_api_keeps_the_same_visibility_rule(client, moe, admin_user, catalogue):
    """ImportJob.visible_to: the starter's own jobs, every job for a superuser."""
    mine, theirs = a_job(moe, catalogue), a_job(admin_user, catalogue)
    assert list(ImportJob.visible_to(moe)) == [mine]
    assert set(ImportJob.visible_to(admin_user)) == {mine, theirs}


def test_the_permission_is_offered_in_the_group_editor(admin_client, django_user_model):
    """Settings, Groups: Moderators have it ticked, and another group can be given it."""
    permission = Permission.objects.get(
        content_type__app_label="products", codename="add_importjob"
    )
    moderators = Group.objects.get(name="Moderators")
    html = admin_client.get(f"/admin/groups/edit/{moderators.pk}/").content.decode()
    box = re.search(rf'<input[^>]*name="permissions"[^>]*value="{permission.pk}"[^>]*>', html)
    assert box and "checked" in box.group(0)

    editors = Group.objects.get(name="Editors")
    editors.permissions.add(permission)
    user = member(django_user_model, "Editors", "edith")
    admin_client.force_login(user)
    assert admin_client.get(URL).status_code == 200
