"""Every corpus case through every way in: the admin's upload views and code.

For each: the expected accept or reject, never a server error, and after a reject no row and
no file left in storage."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.media.validation import validate_document, validate_image
from tests.media.corpus import HOSTILE_NAMES, JPEG, document_cases, image_cases
from tests.storage import StoredMedia

pytestmark = pytest.mark.django_db

IMAGE_CASES = image_cases()
DOCUMENT_CASES = document_cases()


@pytest.fixture(autouse=True)
def small_zip_limit(settings):
    settings.MEDIA_MAX_ZIP_INFLATED_SIZE = 10 * 1024 * 1024


def snapshot():
    Image = get_image_model()
    return {
        "images": Image.objects.count(),
        "renditions": Image.get_rendition_model().objects.count(),
        "documents": get_document_model().objects.count(),
        "files": StoredMedia().names(),
    }


def expected_message(check, name, content):
    try:
        check(content, name)
    except ValidationError as error:
        return error.messages[0]


def root():
    return Collection.get_first_root_node()


@pytest.mark.parametrize(
    ("name", "content", "expected"), IMAGE_CASES, ids=[c[0] for c in IMAGE_CASES]
)
def test_admin_image_upload(admin_client, media, name, content, expected):
    before = snapshot()
    response = admin_client.post(
        "/admin/images/add/",
        {
            "title": "Upload",
            "file": SimpleUploadedFile(name, content),
            "collection": root().pk,
            "description": "Alt text",
            "credit": "",
        },
    )
    if expected == "accept":
        assert response.status_code == 302, response.content[:2000]
        image = get_image_model().objects.get()
        assert image.file_hash and media.exists(image.file.name)
    else:
        assert response.status_code == 200
        assert escape(expected_message(validate_image, name, content)) in response.content.decode()
        assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "expected"), IMAGE_CASES, ids=[c[0] for c in IMAGE_CASES]
)
def test_admin_multiple_image_upload(admin_client, name, content, expected):
    before = snapshot()
    response = admin_client.post(
        "/admin/images/multiple/add/",
        {"files[]": SimpleUploadedFile(name, content), "collection": root().pk},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["success"] is (expected == "accept")
    if expected != "accept":
        assert data["error_message"] == expected_message(validate_image, name, content)
        assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "expected"), IMAGE_CASES, ids=[c[0] for c in IMAGE_CASES]
)
def test_image_saved_from_code(name, content, expected):
    before = snapshot()
    image = get_image_model()(
        title="Code", collection=root(), file=ContentFile(content, name=name)
    )
    if expected == "accept":
        image.save()
        assert len(image.file_hash) == 40 and image.file_size == len(content)
    else:
        with pytest.raises(ValidationError) as error:
            image.save()
        assert error.value.code == expected
        assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "expected"), DOCUMENT_CASES, ids=[c[0] for c in DOCUMENT_CASES]
)
def test_admin_document_upload(admin_client, name, content, expected):
    before = snapshot()
    response = admin_client.post(
        "/admin/documents/add/",
        {"title": "Upload", "file": SimpleUploadedFile(name, content), "collection": root().pk},
    )
    if expected == "accept":
        assert response.status_code == 302, response.content[:2000]
        assert get_document_model().objects.get().file_hash
    else:
        assert response.status_code == 200
        message = expected_message(validate_document, name, content)
        assert escape(message) in response.content.decode()
        assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "expected"), DOCUMENT_CASES, ids=[c[0] for c in DOCUMENT_CASES]
)
def test_admin_multiple_document_upload(admin_client, name, content, expected):
    before = snapshot()
    response = admin_client.post(
        "/admin/documents/multiple/add/",
        {"files[]": SimpleUploadedFile(name, content), "collection": root().pk},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 200
    assert json.loads(response.content)["success"] is (expected == "accept")
    if expected != "accept":
        assert snapshot() == before


@pytest.mark.parametrize(
    ("name", "content", "expected"), DOCUMENT_CASES, ids=[c[0] for c in DOCUMENT_CASES]
)
def test_document_saved_from_code(name, content, expected):
    before = snapshot()
    document = get_document_model()(
        title="Code", collection=root(), file=ContentFile(content, name=name)
    )
    if expected == "accept":
        document.save()
        assert len(document.file_hash) == 40
    else:
        with pytest.raises(ValidationError) as error:
            document.save()
        assert error.value.code == expected
        assert snapshot() == before


@pytest.mark.parametrize(("given", "stored"), HOSTILE_NAMES)
def test_hostile_names_are_stored_inside_their_folder(media, given, stored):
    image = get_image_model()(title="Name", collection=root(), file=ContentFile(JPEG, name=given))
    image.save()
    folder, _, name = image.file.name.partition("/")
    assert folder == "original_images" and "/" not in name
    assert media.exists(image.file.name)
    # Wagtail then makes the name ASCII (é becomes e) and keeps the path within 100 characters.
    expected = stored.replace("\u00e9", "e")
    if len(expected) > len(name):
        assert len(image.file.name) <= 100 and name.endswith(".jpg")
        expected = expected[: len(name) - 4] + ".jpg"
    assert name == expected
