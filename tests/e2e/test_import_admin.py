"""A Moderator imports a catalogue through the admin's "Catalogue import" view, in a real
browser: upload, read the plan, start, watch it end, download the report; and the same page
with JavaScript off.

Tasks use the dummy backend (recorded, never run) and the test runs each one itself with
`run_import_job.call`, as a worker would, while the page is open: that is what makes the page
follow the job without a reload (static/js/import-job.js polls every 2 s and reloads when the
state changes), and it is deterministic. The immediate backend would run the job inside the
upload request, so the page would never have anything to follow.
"""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.serializers.json import DjangoJSONEncoder
from playwright.sync_api import expect

from products.jobs.models import ImportJob
from products.jobs.tasks import run_import_job
from products.models import ProductPage
from tests.products.catalogue_helpers import MANIFEST, write_bundle, zip_folder

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
# Longer than two polls of import-job.js and the reload that follows.
FOLLOW_MS = 10_000


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("molly", password="pw")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def log_in(page, site_url, user):
    page.goto(site_url + "/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(site_url + "/admin/")


def test_a_moderator_imports_a_bundle_and_follows_it(
    page, browser, site_url, moderator, catalogue, queued, tmp_path, screenshots
):
    bundle = zip_folder(write_bundle(tmp_path / "bundle", MANIFEST), tmp_path / "chairs.zip")
    log_in(page, site_url, moderator)
    page.get_by_role("link", name="Catalogue import").click()
    expect(page.get_by_role("heading", name="New import")).to_be_visible()

    page.get_by_label("Bundle").set_input_files(bundle)
    page.get_by_label("Catalogue").select_option(label=catalogue.title)
    page.get_by_role("button", name="Upload and plan").click()
    job = ImportJob.objects.get()
    expect(page).to_have_url(f"{site_url}/admin/catalogue-import/{job.pk}/")
    expect(page.get_by_text("Planning…")).to_be_visible()
    expect(page.locator("[data-refresh-hint]")).to_be_hidden()  # the script follows the job

    # A worker plans it: the open page notices and shows the plan, nobody reloads.
    run_import_job.call(job.pk)
    plan = page.locator("[data-plan]")
    expect(plan).to_be_visible(timeout=FOLLOW_MS)
    expect(plan.get_by_role("row", name="create CH-1001 Oak dining chair")).to_be_visible()
    expect(plan.get_by_role("row", name="create CH-1002 Walnut chair")).to_be_visible()
    expect(page.get_by_text("Media: 4 new, 0 reused")).to_be_visible()
    page.screenshot(path=screenshots / "import-plan.png", full_page=True)
    assert ProductPage.objects.count() == 0

    page.get_by_role("button", name="Start import").click()
    expect(page.get_by_text("Queued: waiting to run.")).to_be_visible()

    # JavaScript off: the plan is there, and the page says how to see progress.
    no_js = browser.new_context(java_script_enabled=False)
    try:
        plain = no_js.new_page()
        log_in(plain, site_url, moderator)
        plain.goto(f"{site_url}/admin/catalogue-import/{job.pk}/")
        expect(plain.locator("[data-plan]")).to_be_visible()
        expect(plain.get_by_text("refresh to see progress.")).to_be_visible()

        run_import_job.call(job.pk)
        expect(page.locator("[data-report-counts]")).to_be_visible(timeout=FOLLOW_MS)
        expect(page.locator("[data-job-state]")).to_have_text("succeeded")
        page.screenshot(path=screenshots / "import-report.png", full_page=True)

        plain.get_by_role("link", name="Refresh", exact=True).click()
        expect(plain.locator("[data-job-state]")).to_have_text("succeeded")
    finally:
        no_js.close()

    assert ProductPage.objects.filter(sku__in=["CH-1001", "CH-1002"]).count() == 2
    with page.expect_download() as started:
        page.get_by_role("link", name="Download report").click()
    download = started.value
    assert download.suggested_filename == f"import-{job.pk}-report.json"
    job.refresh_from_db()
    saved = download.path().read_bytes()
    assert saved == json.dumps(job.report_json(), cls=DjangoJSONEncoder).encode()
    assert json.loads(saved)["products"]["created"] == 2
