"""PostgreSQL (the scale run): while an import job runs in a worker, other requests see its
progress, and a cancel sent by another request stops it, its import rolled back whole.

(On SQLite the import's transaction holds the only write lock: progress shows when it ends,
and a cancel waits for it; docs/catalogue-import.md, Jobs.)"""

import threading

import pytest
from django.db import connection
from wagtail.models import APIToken

from products.jobs import progress
from products.jobs.models import ImportJob
from products.jobs.progress import ProgressRecorder
from products.jobs.tasks import run_import_job
from products.models import ProductPage
from tests.products.catalogue_helpers import write_bundle, zip_folder

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PRODUCTS = 30
PAUSE_AT = 5


def test_progress_shows_while_a_job_runs_and_a_cancel_stops_it(
    client, tmp_path, settings, django_user_model, home, monkeypatch
):
    assert connection.vendor == "postgresql", "the scale run: python -m tests.scale.services"
    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["dummy"]}}
    data = {
        "format": "catalogue/1",
        "products": [{"sku": f"P-{n}", "title": f"Product {n}"} for n in range(PRODUCTS)],
    }
    bundle = zip_folder(write_bundle(tmp_path / "b", data, files={}), tmp_path / "many.zip")
    user = django_user_model.objects.create_superuser("integrator", password=None)
    headers = {"Authorization": f"Bearer {APIToken.create_token(user=user, name='t')[1]}"}
    with bundle.open("rb") as file:
        response = client.post("/api/catalogue/imports/", {"bundle": file}, headers=headers)
    assert response.status_code == 202, response.content
    url = response["Location"]
    job_id = response.json()["id"]

    # The worker saves every product's progress and, at the fifth, waits for the test.
    reached, go_on = threading.Event(), threading.Event()
    save = ProgressRecorder.save

    def save_then_pause(self, done, total):
        save(self, done, total)
        if done == PAUSE_AT:
            reached.set()
            go_on.wait(60)

    monkeypatch.setattr(progress, "SAVE_EVERY_SECONDS", 0)
    monkeypatch.setattr(ProgressRecorder, "save", save_then_pause)

    def worker():
        try:
            run_import_job.call(job_id)
        finally:
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert reached.wait(120), "the import never reached its fifth product"
        shown = client.get(url, headers=headers).json()
        assert shown["state"] == "running"
        assert shown["progress"]["products"] == {"done": PAUSE_AT, "total": PRODUCTS}
        assert ProductPage.objects.count() == 0  # written, not committed
        cancelled = client.post(f"{url}cancel", headers=headers)
        assert cancelled.status_code == 202 and cancelled.json()["state"] == "running"
    finally:
        go_on.set()
        thread.join(120)
    shown = client.get(url, headers=headers).json()
    assert shown["state"] == "cancelled" and shown["report"] is None
    assert ProductPage.objects.count() == 0
    assert not ImportJob.objects.get(pk=job_id).bundle
