"""`media_audit --delete` never deletes the file of a row still being written: only orphan
files older than the grace period go, each checked against the database just before."""

import os
import threading
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from PIL import Image as PILImage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.media import audit as audit_module
from tests.factories import DocumentFactory, ImageFactory
from tests.media.corpus import JPEG


def media_audit(*args):
    out = StringIO()
    call_command("media_audit", *args, stdout=out)
    return out.getvalue()


def stray_file(name, content=JPEG):
    """A file with no row, as a rolled-back or killed transaction leaves it."""
    return default_storage.save(name, ContentFile(content))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_delete_keeps_the_files_of_rows_not_committed_yet(client, media):
    saved, release = threading.Event(), threading.Event()
    held, failures = {}, []

    def upload_in_a_long_transaction():
        try:
            with transaction.atomic():
                held["image"] = ImageFactory(title="Held image")
                held["document"] = DocumentFactory(title="Held manual")
                saved.set()
                assert release.wait(30), "the test never let the transaction commit"
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            failures.append(error)
            saved.set()
        finally:
            connection.close()  # this thread's own connection

    writer = threading.Thread(target=upload_in_a_long_transaction)
    writer.start()
    try:
        assert saved.wait(30) and not failures, failures
        names = [held["image"].file.name, held["document"].file.name]
        assert all(media.exists(name) for name in names)  # written, row not committed
        assert not get_image_model().objects.filter(title="Held image").exists()

        out = media_audit("--delete")
    finally:
        release.set()
        writer.join(30)
    assert not failures, failures
    for name in names:
        assert f"kept: {name}: written" in out
        assert "within the grace period of 3600 s" in out
        assert media.exists(name)
    assert "0 deleted, 2 kept." in out

    # Committed: both rows point at their files, and the files are served.
    image = get_image_model().objects.get(pk=held["image"].pk)
    with PILImage.open(media.open(image.file.name)) as picture:
        assert picture.size == (640, 480)
    document = get_document_model().objects.get(pk=held["document"].pk)
    response = client.get(document.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert media_audit().endswith("0 rows with missing files, 0 orphan files.\n")


@pytest.mark.local_media  # ages the file through the local disk (S3 keys have no utime)
@pytest.mark.django_db
def test_delete_removes_orphans_older_than_the_grace_period_only(media, settings):
    image = ImageFactory()
    old = stray_file("original_images/stray-old.jpg")
    young = stray_file("original_images/stray-young.jpg")
    long_ago = time.time() - settings.MEDIA_AUDIT_GRACE_SECONDS - 60
    os.utime(default_storage.path(old), (long_ago, long_ago))

    out = media_audit("--delete")

    assert f"deleted: {old}" in out
    assert not media.exists(old)
    assert f"kept: {young}: written 0 s ago, within the grace period of 3600 s" in out
    assert media.exists(young)
    assert media.exists(image.file.name)
    assert "2 orphan files, 1 deleted, 1 kept." in out


@pytest.mark.django_db
def test_grace_option_and_setting_lower_the_grace_period(media, settings):
    image = ImageFactory()
    first = stray_file("original_images/first.jpg")
    assert f"kept: {first}" in media_audit("--delete")
    assert f"deleted: {first}" in media_audit("--delete", "--grace", "0")
    assert not media.exists(first)

    second = stray_file("documents/second.jpg")
    settings.MEDIA_AUDIT_GRACE_SECONDS = 0
    assert f"deleted: {second}" in media_audit("--delete")
    assert not media.exists(second)
    assert media.exists(image.file.name)
    assert all(media.exists(r.file.name) for r in image.renditions.all())

    with pytest.raises(CommandError, match="--grace -1: the grace period cannot be negative"):
        media_audit("--delete", "--grace", "-1")


@pytest.mark.django_db
def test_delete_checks_the_database_again_just_before_deleting(media, monkeypatch):
    """A row that commits between the listing and the deletion keeps its file."""
    image = ImageFactory()
    stray = stray_file("original_images/stray.jpg")
    list_files = audit_module.stored_files

    def listing_then_a_row_commits(storage, folder):
        yield from list_files(storage, folder)
        if folder == "original_images":
            get_image_model().objects.filter(pk=image.pk).update(file=stray)

    monkeypatch.setattr(audit_module, "stored_files", listing_then_a_row_commits)
    out = media_audit("--delete", "--grace", "0")

    assert f"kept: {stray}: a row references it now" in out
    assert media.exists(stray)


@pytest.mark.django_db
def test_files_of_wagtails_other_file_fields_are_not_orphans(media):
    """Any model's file field counts, not only the library's three: here Wagtail's pending
    multiple-upload row."""
    from wagtail.models import UploadedFile

    stray = stray_file("documents/pending-upload.pdf", b"%PDF-1.4\n")
    UploadedFile.objects.create(file=stray, for_content_type=None)
    out = media_audit("--delete", "--grace", "0")
    assert stray not in out
    assert media.exists(stray)
