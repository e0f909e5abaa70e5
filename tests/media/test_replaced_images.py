"""Replacing an image's file or focal point breaks no page (cms/media/replaced.py).

A page the edge cache or a browser still holds keeps loading every image it names for the
grace period; the pages using the image are refreshed only once its new renditions exist;
`media_audit --delete` removes the old files after the grace period, never before. Through
nginx, with the edge cache: tests/scale/test_two_nodes.py.
"""

import io
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from wagtail.contrib.frontend_cache.backends import BaseBackend
from wagtail.images import get_image_model

from cms.demo.generate import make_image
from cms.media.models import RetiredFile
from tests.media.test_editor_media_rights import (
    image_edit_form,
    publish_product,
    rendition_urls,
    upload_image,
)

pytestmark = pytest.mark.django_db

Image = get_image_model()
Rendition = Image.get_rendition_model()


class RecordingBackend(BaseBackend):
    """A frontend cache that records each URL it refreshes, with the rendition files that
    existed at that moment: what the refreshed page would be rendered with."""

    refreshed = []

    def purge(self, url):
        self.refreshed.append((url, set(Rendition.objects.values_list("file", flat=True))))


@pytest.fixture
def refreshed(settings):
    settings.WAGTAILFRONTENDCACHE = {
        "test": {"BACKEND": "tests.media.test_replaced_images.RecordingBackend"}
    }
    RecordingBackend.refreshed = []
    return RecordingBackend.refreshed


@pytest.fixture
def product_with_image(client, admin_user, catalogue):
    client.force_login(admin_user)
    image = upload_image(client)
    product = publish_product(catalogue, admin_user, hero_image=image)
    return image, product


def stored_names(html):
    """The storage names of the renditions a page shows."""
    return {"images/" + url.split("/images/", 1)[1] for url in rendition_urls(html)}


def edit(client, image, django_capture_on_commit_callbacks, **changes):
    """Save the admin's edit form; what it queues for after the commit runs (the renditions,
    then the refresh), as the task worker would."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/images/{image.pk}/", image_edit_form(image, **changes))
    assert response.status_code == 302, response.content[:2000]
    image.refresh_from_db()


def audit(*args):
    out = io.StringIO()
    call_command("media_audit", "--delete", *args, stdout=out)
    return out.getvalue()


def pass_the_grace_period():
    RetiredFile.objects.update(retired_at=timezone.now() - timedelta(hours=24, seconds=1))


def test_a_replaced_file_keeps_what_cached_pages_show_until_the_grace_period_ends(
    client, product_with_image, media, refreshed, django_capture_on_commit_callbacks
):
    image, product = product_with_image
    cached = client.get(product.url).content.decode()  # the copy nginx holds
    old_files = {image.file.name, *stored_names(cached)}
    assert len(old_files) > 3 and all(media.exists(name) for name in old_files)

    new_picture = make_image("New photo", 900, 600, "jpeg")
    edit(
        client,
        image,
        django_capture_on_commit_callbacks,
        file=SimpleUploadedFile("new.jpg", new_picture),
    )

    # The cached page keeps loading every image it names.
    assert image.file.name not in old_files
    assert [name for name in old_files if not media.exists(name)] == []
    # The page, rendered again, shows the new renditions, made before it was refreshed.
    fresh = client.get(product.url).content.decode()
    new_renditions = stored_names(fresh)
    assert new_renditions and not new_renditions & old_files
    assert all(media.exists(name) for name in new_renditions)
    refreshed_product = [made for url, made in refreshed if url.endswith(product.url)]
    assert refreshed_product and new_renditions <= refreshed_product[0]

    # media_audit keeps the old files through the grace period, then deletes them.
    assert "replaced, kept until" in audit()
    assert all(media.exists(name) for name in old_files)
    pass_the_grace_period()
    report = audit()
    assert [name for name in old_files if media.exists(name)] == []
    assert all(f"deleted (replaced, grace period over): {name}" in report for name in old_files)
    assert all(media.exists(name) for name in {image.file.name, *new_renditions})
    assert stored_names(client.get(product.url).content.decode()) == new_renditions
    assert not RetiredFile.objects.exists()


def test_a_moved_focal_point_remakes_the_crops_and_keeps_the_old_ones_for_cached_pages(
    client, product_with_image, media, refreshed, django_capture_on_commit_callbacks
):
    image, product = product_with_image
    cached = client.get(product.url).content.decode()
    old_crops = {r.file.name for r in image.renditions.all() if "fill-" in r.filter_spec}
    unchanged = {r.file.name for r in image.renditions.all() if "fill-" not in r.filter_spec}
    assert old_crops and unchanged

    edit(
        client,
        image,
        django_capture_on_commit_callbacks,
        focal_point_x="700",
        focal_point_y="100",
        focal_point_width="100",
        focal_point_height="100",
    )

    assert all(media.exists(name) for name in old_crops | stored_names(cached))
    crops_now = {r.file.name for r in image.renditions.all() if "fill-" in r.filter_spec}
    assert crops_now and not crops_now & old_crops
    # Renditions that do not depend on the focal point are kept as they are.
    assert unchanged <= {r.file.name for r in image.renditions.all()}
    assert any(url.endswith(product.url) and crops_now <= made for url, made in refreshed)
    pass_the_grace_period()
    audit()
    assert [name for name in old_crops if media.exists(name)] == []
    assert all(media.exists(name) for name in crops_now | unchanged)


def test_an_edit_that_keeps_the_file_and_focal_point_retires_nothing_and_refreshes_nothing(
    client, product_with_image, refreshed, django_capture_on_commit_callbacks
):
    image, _ = product_with_image
    renditions = set(image.renditions.values_list("file", flat=True))
    edit(client, image, django_capture_on_commit_callbacks, title="Renamed")
    assert set(image.renditions.values_list("file", flat=True)) == renditions
    assert not RetiredFile.objects.exists() and refreshed == []


def test_a_retired_name_in_use_again_is_not_deleted(product_with_image, media):
    image, _ = product_with_image
    RetiredFile.objects.create(name=image.file.name, retired_at=timezone.now())
    pass_the_grace_period()
    audit()
    assert media.exists(image.file.name) and not RetiredFile.objects.exists()


def test_media_audit_does_not_list_retired_files_as_orphans(
    client, product_with_image, django_capture_on_commit_callbacks
):
    image, _ = product_with_image
    old = image.file.name
    edit(
        client,
        image,
        django_capture_on_commit_callbacks,
        file=SimpleUploadedFile("new.jpg", make_image("New", 700, 500, "jpeg")),
    )
    out = io.StringIO()
    call_command("media_audit", stdout=out)
    report = out.getvalue()
    assert re.search(rf"replaced, kept until [\d-]+ [\d:]+ UTC: {re.escape(old)}", report)
    assert "orphan: " not in report
