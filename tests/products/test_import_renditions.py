"""An HTTP import makes no rendition inside its request: new images queue their renditions as
background tasks once the import has committed (a big bundle used to time out at nginx)."""

import pytest
from wagtail.images import get_image_model

from cms.media.tasks import generate_renditions
from tests.products.catalogue_helpers import MANIFEST, run_import, write_bundle, zip_folder
from tests.products.test_import_http import post, token_for

pytestmark = pytest.mark.django_db


def queued_renditions(backend):
    return sorted(
        result.args[0]
        for result in backend.results
        if result.task.module_path == generate_renditions.module_path
    )


def test_http_import_makes_no_rendition_and_queues_them_after_commit(
    client, tmp_path, admin_user, queued, django_capture_on_commit_callbacks
):
    bundle = zip_folder(write_bundle(tmp_path / "bundle", MANIFEST), tmp_path / "bundle.zip")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, bundle, token_for(admin_user))
    assert response.status_code == 200, response.content
    assert response.json()["images"] == {"created": 3, "reused": 0}
    Image = get_image_model()
    assert Image.get_rendition_model().objects.count() == 0
    assert queued_renditions(queued) == sorted(Image.objects.values_list("pk", flat=True))


def test_http_import_queues_nothing_before_the_commit(client, tmp_path, admin_user, queued):
    """Inside the import's transaction nothing is queued: a worker could otherwise pick up an
    image whose row is not committed yet (or is rolled back)."""
    bundle = zip_folder(write_bundle(tmp_path / "bundle", MANIFEST), tmp_path / "bundle.zip")
    with pytest.MonkeyPatch.context() as patch:
        # The test's own transaction never commits: callbacks registered are not run.
        patch.setattr("django.db.transaction.on_commit", lambda func, **kw: None)
        response = post(client, bundle, token_for(admin_user))
    assert response.status_code == 200, response.content
    assert queued_renditions(queued) == []
    assert get_image_model().get_rendition_model().objects.count() == 0


def test_command_line_still_makes_renditions_after_the_commit_unless_told_not_to(tmp_path, queued):
    bundle = write_bundle(tmp_path / "bundle", MANIFEST)
    Rendition = get_image_model().get_rendition_model()
    ok, _, err = run_import(bundle, "--no-renditions")
    assert ok, err
    assert Rendition.objects.count() == 0
    get_image_model().objects.all().delete()
    ok, _, err = run_import(bundle)
    assert ok, err
    assert Rendition.objects.count() > 0
