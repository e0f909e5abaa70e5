"""The admin's multiple upload warns of a near-duplicate, in a real browser."""

import io

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from PIL import Image as PILImage
from playwright.sync_api import expect
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_photo
from cms.media.duplicates import hash_image
from tests.e2e.test_editor import log_in
from tests.factories import ProductPageFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHOTO = make_photo("Oak chair", 1200, 900)


def smaller_copy(data):
    picture = PILImage.open(io.BytesIO(data)).convert("RGB").resize((600, 450))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=75)
    return buffer.getvalue()


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("molly", password="pw")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def test_uploading_a_near_duplicate_shows_the_warning_and_uses_the_existing_image(
    page, site_url, moderator, catalogue, screenshots
):
    Image = get_image_model()
    chair = Image(
        title="Oak chair",
        description="An oak chair",
        collection=Collection.get_first_root_node(),
        file=ContentFile(PHOTO, "oak-chair.jpg"),
    )
    chair.save()
    hash_image(chair)
    product = ProductPageFactory(parent=catalogue, title="Oak chair", hero_image=chair)
    product.save_revision(user=moderator).publish(user=moderator)

    log_in(page, site_url, moderator)
    page.goto(site_url + "/admin/images/multiple/add/")
    page.locator("#fileupload").set_input_files(
        files=[
            {"name": "chair-small.jpg", "mimeType": "image/jpeg", "buffer": smaller_copy(PHOTO)}
        ]
    )
    warning = page.locator(".near-duplicate-message")
    expect(warning).to_have_text(f"Looks like #{chair.pk} “Oak chair”, used on 1 product.")
    expect(page.get_by_role("link", name=f"Open #{chair.pk} “Oak chair”")).to_be_visible()
    page.screenshot(path=screenshots / "near-duplicate-upload.png")
    assert Image.objects.count() == 2

    page.get_by_role("link", name="Use the existing image (delete this upload)").click()
    expect(page.locator("#upload-list > li")).to_have_count(0)
    assert list(Image.objects.values_list("pk", flat=True)) == [chair.pk]


def test_the_choosers_upload_offers_the_existing_image_for_the_field(
    page, site_url, moderator, catalogue
):
    Image = get_image_model()
    chair = Image(
        title="Oak chair",
        description="An oak chair",
        collection=Collection.get_first_root_node(),
        file=ContentFile(PHOTO, "oak-chair.jpg"),
    )
    chair.save()
    hash_image(chair)
    product = ProductPageFactory(parent=catalogue, title="Side chair", hero_image=None)
    product.save_revision(user=moderator).publish(user=moderator)

    log_in(page, site_url, moderator)
    page.goto(site_url + f"/admin/pages/{product.pk}/edit/")
    page.get_by_role("tab", name="Media").click()
    page.get_by_role("button", name="Choose an image").click()
    modal = page.locator(".modal")
    modal.get_by_role("tab", name="Upload").click()
    modal.get_by_label("Title").fill("Chair, smaller")
    modal.get_by_label("File").set_input_files(
        files=[
            {"name": "chair-small.jpg", "mimeType": "image/jpeg", "buffer": smaller_copy(PHOTO)}
        ]
    )
    modal.get_by_label("Alt text").fill("A chair")
    modal.locator("form").get_by_role("button", name="Upload").click()
    expect(modal.locator(".near-duplicate-message")).to_contain_text(
        f"It looks like #{chair.pk} “Oak chair”, used on 0 products."
    )
    modal.get_by_role("link", name="Use the existing image and delete the new one").click()
    expect(modal).to_be_hidden()
    expect(page.locator('[data-contentpath="hero_image"]')).to_contain_text("Oak chair")
    assert list(Image.objects.values_list("pk", flat=True)) == [chair.pk]
