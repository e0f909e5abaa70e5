"""A replaced datasheet keeps its address, and its earlier files (cms/media/document_versions.py).

An editor replaces a document's file through the admin: the page links the new file, the old
file's address (bookmarks, search engines, pages still cached) leads to it, the versions page
shows who uploaded what and when, and a Moderator can restore an earlier file. Through nginx:
tests/scale/test_two_nodes.py.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction

from cms.demo.generate import make_pdf
from cms.media.models import DocumentVersion
from tests.factories import documents_block
from tests.media.test_editor_media_rights import (
    as_user,
    member,
    publish_product,
    upload_document,
)

pytestmark = pytest.mark.django_db

Document = get_document_model()


@pytest.fixture
def editor(django_user_model):
    return member(django_user_model, "Editors", "edith")


@pytest.fixture
def moderator(django_user_model):
    return member(django_user_model, "Moderators", "moe")


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def replace_file(client, document, capture, name="v2.pdf", data=None):
    """The admin's edit form with a new file; what it queues for after the commit runs."""
    data = data or make_pdf("Second edition")
    with capture(execute=True):
        response = client.post(
            f"/admin/documents/edit/{document.pk}/",
            {
                "title": document.title,
                "file": SimpleUploadedFile(name, data),
                "collection": document.collection_id,
                "tags": "",
            },
        )
    assert response.status_code == 302, response.content[:2000]
    document.refresh_from_db()


@pytest.fixture
def datasheet_on_live_page(client, moderator, catalogue):
    document = upload_document(as_user(client, moderator))
    product = publish_product(catalogue, moderator, body=json.dumps([documents_block([document])]))
    return document, product


def test_a_replaced_datasheet_keeps_its_address_and_its_earlier_file(
    client,
    moderator,
    datasheet_on_live_page,
    media,
    django_capture_on_commit_callbacks,
):
    document, product = datasheet_on_live_page
    old_url, old_name = document.url, document.file.name
    first = media.read(old_name)
    assert body(client.get(old_url)) == first

    second = make_pdf("Chair datasheet, second edition")
    replace_file(client, document, django_capture_on_commit_callbacks, "chair-v2.pdf", second)

    assert document.url != old_url and media.exists(old_name)
    moved = client.get(old_url)
    assert (moved.status_code, moved["Location"]) == (302, document.url)
    assert body(client.get(old_url, follow=True)) == second
    client.logout()
    page = client.get(product.url).content.decode()
    assert document.url in page and old_url not in page

    as_user(client, moderator)
    versions = client.get(f"/admin/documents/{document.pk}/versions/").content.decode()
    assert "chair-v2" in versions and "chair.pdf" in versions
    assert versions.count("<td>moe</td>") == 2 and versions.count("Restore this version") == 1
    assert media.read(old_name) == first


def test_a_moderator_restores_an_earlier_file(
    client,
    moderator,
    datasheet_on_live_page,
    media,
    django_capture_on_commit_callbacks,
):
    document, _ = datasheet_on_live_page
    first_url, first_bytes = document.url, media.read(document.file.name)
    replace_file(client, document, django_capture_on_commit_callbacks, "chair-v2.pdf")
    second_url = document.url
    earliest = DocumentVersion.objects.filter(document=document).order_by("pk").first()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/documents/{document.pk}/versions/{earliest.pk}/restore/")
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.url == first_url and body(client.get(first_url)) == first_bytes
    assert client.get(second_url)["Location"] == first_url
    history = list(document.versions.values_list("restored_from", flat=True))
    assert history[0] == earliest.pk and len(history) == 3
    assert "(restored)" in client.get(f"/admin/documents/{document.pk}/versions/").content.decode()


def test_an_editor_kept_out_of_a_document_cannot_see_or_restore_its_versions(
    client,
    editor,
    moderator,
    datasheet_on_live_page,
    django_capture_on_commit_callbacks,
):
    document, _ = datasheet_on_live_page
    replace_file(client, document, django_capture_on_commit_callbacks)
    earliest = document.versions.order_by("pk").first()
    as_user(client, editor)
    # Wagtail's admin answers a refusal with a redirect to the dashboard and a message.
    refused = client.get(f"/admin/documents/{document.pk}/versions/")
    assert (refused.status_code, refused["Location"]) == (302, "/admin/")
    response = client.post(f"/admin/documents/{document.pk}/versions/{earliest.pk}/restore/")
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    document.refresh_from_db()
    assert document.file.name != earliest.file.name


def test_an_earlier_name_of_a_private_document_does_not_tell_the_current_one(
    client,
    moderator,
    datasheet_on_live_page,
    django_capture_on_commit_callbacks,
):
    document, _ = datasheet_on_live_page
    old_url = document.url
    replace_file(client, document, django_capture_on_commit_callbacks)
    private = Collection.get_first_root_node().add_child(name="Dealers only")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type=CollectionViewRestriction.LOGIN
    )
    document.collection = private
    document.save()
    client.logout()
    response = client.get(old_url)
    assert response.status_code == 404 and "v2" not in response.content.decode()


def test_deleting_a_document_deletes_every_file_it_had(
    client,
    moderator,
    media,
    django_capture_on_commit_callbacks,
):
    document = upload_document(as_user(client, moderator))
    replace_file(client, document, django_capture_on_commit_callbacks)
    names = list(document.versions.values_list("file", flat=True))
    assert len(names) == 2 and all(media.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/documents/delete/{document.pk}/")
    assert response.status_code == 302
    assert not Document.objects.filter(pk=document.pk).exists()
    assert [name for name in names if media.exists(name)] == []
