"""The crop chooser of one use of an image, in a real browser: an editor drags a crop for one
gallery item, sees each rendition's preview, publishes, and the public page shows that use
cropped while the other use of the same image is not."""

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from PIL import Image as PILImage
from playwright.sync_api import expect
from wagtail.images import get_image_model

from products.models import ProductPage
from tests.e2e.test_editor import log_in
from tests.factories import ImageFactory, ProductPageFactory, gallery_block

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def moderator(django_user_model):
    user = django_user_model.objects.create_user("mona", password="pw")
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


def halves():
    """An 800x400 picture, red on the left half and blue on the right; its own focal point is
    the red half."""
    picture = PILImage.new("RGB", (800, 400), (220, 20, 20))
    picture.paste((20, 20, 220), (400, 0, 800, 400))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    image = ImageFactory(
        title="Two halves", file=ContentFile(buffer.getvalue(), name="halves.png")
    )
    image.focal_point_x = image.focal_point_y = image.focal_point_width = 200
    image.focal_point_height = 400
    image.save()
    return image


def test_an_editor_crops_one_use_and_only_that_use_changes(page, site_url, moderator, catalogue):
    image = halves()
    gallery = gallery_block([image, image])
    for n, item in enumerate(gallery["value"]):
        item["alt_text"] = f"Lamp, view {n + 1}"
    product = ProductPageFactory(
        parent=catalogue,
        title="Two-tone lamp",
        hero_image=image,
        body=[gallery],
    )
    product.save_revision().publish()
    log_in(page, site_url, moderator)

    page.goto(site_url + f"/admin/pages/{product.pk}/edit/")
    field = page.locator("#body-0-value-0-value-focal_point")
    chooser = field.locator("xpath=following-sibling::div[contains(@class, 'crop-chooser')]")
    expect(chooser).to_be_visible()
    previews = chooser.locator("canvas.crop-chooser__preview")
    expect(previews).to_have_count(2)  # the gallery's thumbnail and its large image

    # Drag across the right (blue) half of the picture.
    picture = chooser.locator(".crop-chooser__picture")
    picture.scroll_into_view_if_needed()
    box = picture.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.1)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.5, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.95, box["y"] + box["height"] * 0.9, steps=5)
    page.mouse.up()
    value = field.input_value()
    x, y, width, height = (int(n) for n in value.split(","))
    assert 420 <= x <= 460 and 20 <= y <= 60 and width > 250 and height > 250
    # The thumbnail's preview follows the crop: from the library's area (the left half) to one
    # that holds the dragged rectangle.
    expect(previews.first).not_to_have_attribute("data-rect", "100,0,500,400")
    left, _, right, _ = (int(n) for n in previews.first.get_attribute("data-rect").split(","))
    assert left <= x and right >= min(x + width, 800) - 1 and left >= 300

    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text(re.compile("has been published"))).to_be_visible()
    stored = ProductPage.objects.get(pk=product.pk).body.get_prep_value()[0]["value"]
    assert stored[0]["value"]["focal_point"] == {"x": x, "y": y, "width": width, "height": height}
    assert "focal_point" not in stored[1]["value"]

    Rendition = get_image_model().get_rendition_model()
    before = Rendition.objects.count()
    page.goto(site_url + product.url)
    thumbs = page.locator(".block-gallery img:not(.placeholder__preview)")
    first, second = thumbs.nth(0).get_attribute("src"), thumbs.nth(1).get_attribute("src")
    assert first != second
    assert Rendition.objects.count() == before  # made when published, not by the visit
    colours = [colour_of(page.request.get(site_url + src).body()) for src in (first, second)]
    assert colours[0][2] > colours[0][0] + 60  # the cropped use: mostly blue
    assert colours[1][0] > colours[1][2] + 60  # the other use: the library's red half


def colour_of(data):
    picture = PILImage.open(io.BytesIO(data)).convert("RGB")
    return picture.resize((1, 1), PILImage.Resampling.BOX).getpixel((0, 0))
