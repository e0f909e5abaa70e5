"""The media storage unreachable (S3 down, in the scale run; an unusable disk folder on the
embedded default): a clear error, and no row pointing to a missing file."""

import pytest
from botocore.config import Config
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import APIToken, Collection

from products.models import ProductPage
from tests.media.corpus import JPEG
from tests.products.catalogue_helpers import (
    MANIFEST,
    run_import,
    write_bundle,
    zip_folder,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def storage_down(settings, tmp_path):
    if settings.S3_BUCKET:
        default = settings.STORAGES["default"]
        options = {
            **default["OPTIONS"],
            "endpoint_url": "http://127.0.0.1:9",  # nothing listens there
            "client_config": Config(connect_timeout=1, retries={"max_attempts": 1}),
        }
        settings.STORAGES = {**settings.STORAGES, "default": {**default, "OPTIONS": options}}
    else:
        not_a_folder = tmp_path / "media-is-a-file"
        not_a_folder.write_text("")
        settings.MEDIA_ROOT = not_a_folder


def test_an_admin_upload_says_the_storage_is_unavailable(admin_client, storage_down):
    response = admin_client.post(
        "/admin/images/add/",
        {
            "title": "Chair",
            "collection": Collection.get_first_root_node().pk,
            "file": SimpleUploadedFile("chair.jpg", JPEG, "image/jpeg"),
        },
    )
    assert response.status_code == 503
    assert "chair.jpg: the media storage could not store the file" in response.content.decode()
    assert response["Retry-After"] == "30"
    assert get_image_model().objects.count() == 0


def test_an_import_is_rolled_back_with_a_clear_error(tmp_path, storage_down):
    ok, out, err = run_import(write_bundle(tmp_path / "bundle", MANIFEST))
    assert not ok
    assert "the import failed while writing and was rolled back, nothing was kept" in err
    assert "ch-1001.jpg: the media storage could not store the file" in err
    # (The storage is down: only the rows can be counted.)
    assert ProductPage.objects.count() == 0
    assert get_image_model().objects.count() == get_document_model().objects.count() == 0


def test_an_import_over_http_reports_the_storage_error(
    client, admin_user, tmp_path, home, storage_down
):
    token = APIToken.create_token(user=admin_user, name="faults")[1]
    archive = zip_folder(write_bundle(tmp_path / "b", MANIFEST), tmp_path / "b.zip")
    with archive.open("rb") as f:
        response = client.post(
            "/api/catalogue/import/", {"bundle": f}, HTTP_AUTHORIZATION=f"Bearer {token}"
        )
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert "rolled back" in error["message"]
    assert "the media storage could not store the file" in error["message"]
    assert get_image_model().objects.count() == 0
