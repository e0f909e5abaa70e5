"""Placeholders (cms/media/placeholders.py): each image's dominant colour and a blurred
preview of a few hundred bytes, made from the rendition set's own decode, stored on the
image, shown under its `<picture>` within the site's CSP, and carried by the read API."""

import base64
import io
import re
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection

from cms.demo.generate import make_image, make_photo
from cms.media import rendition_sets
from cms.media.placeholders import PREVIEW_SIDE, make_placeholder
from cms.media.rendering import clean_picture
from cms.media.renditions import ahead_of_time_specs
from tests.factories import ImageFactory, ProductPageFactory, image_block

pytestmark = pytest.mark.django_db

PREVIEW_URI = re.compile(r"^data:image/webp;base64,([A-Za-z0-9+/=]+)$")
COLOUR = re.compile(r"^#[0-9a-f]{6}$")


def picture(content):
    return clean_picture(PILImage.open(io.BytesIO(content)))


def preview_bytes(uri):
    match = PREVIEW_URI.match(uri)
    assert match, uri[:60]
    return base64.b64decode(match.group(1))


def rgb(colour):
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))


@pytest.mark.parametrize("size", [(2000, 1500), (1200, 1600), (3000, 800)])
def test_a_photos_preview_is_a_tiny_webp_of_its_shape(size):
    placeholder = make_placeholder(picture(make_photo("Placeholder", *size)))
    data = preview_bytes(placeholder.preview)
    assert len(data) <= 400  # a few hundred bytes, on every page that shows the image
    preview = PILImage.open(io.BytesIO(data))
    assert preview.format == "WEBP"
    assert max(preview.size) == PREVIEW_SIDE
    # The same shape, to the rounding of a 16-pixel side.
    assert abs(preview.width / preview.height - size[0] / size[1]) < 0.15 * size[0] / size[1]
    assert COLOUR.match(placeholder.colour)


def test_the_dominant_colour_is_the_commonest_not_the_average():
    # Two thirds red, one third blue: the average (purple) is not in the picture at all.
    scene = PILImage.new("RGB", (300, 200), (200, 30, 30))
    scene.paste((30, 30, 200), (200, 0, 300, 200))
    red, green, blue = rgb(make_placeholder(scene).colour)
    assert red > 150 and green < 80 and blue < 80


def test_a_generated_photos_colour_lies_within_its_palette():
    label = "Oak chair"
    content = make_image(label, 800, 600)
    colour = rgb(make_placeholder(picture(content)).colour)
    pixels = PILImage.open(io.BytesIO(content)).convert("RGB")
    low, high = zip(*pixels.getextrema(), strict=True)
    assert all(lo <= c <= hi for lo, c, hi in zip(low, colour, high, strict=True))


def test_a_picture_with_transparency_gets_a_colour_but_no_preview():
    cut_out = PILImage.new("RGBA", (200, 200), (0, 0, 0, 0))
    cut_out.paste((20, 120, 40, 255), (50, 50, 150, 150))
    placeholder = make_placeholder(cut_out)
    assert placeholder.preview == ""
    assert COLOUR.match(placeholder.colour)


def new_image(content, name="photo.jpg"):
    image = get_image_model()(
        title=name, collection=Collection.get_first_root_node(), file=ContentFile(content, name)
    )
    image.save()
    return image


def test_the_rendition_set_makes_the_placeholder_from_its_own_decode():
    image = new_image(make_photo("Pipeline", 1600, 1200))  # its upload task not run yet
    opened = []
    real_open = PILImage.open

    def counting_open(*args, **kwargs):
        opened.append(args)
        return real_open(*args, **kwargs)

    with (
        mock.patch.object(rendition_sets, "add_placeholder") as second_decode,
        mock.patch.object(rendition_sets.PILImage, "open", counting_open),
    ):
        rendition_sets.make_rendition_set(image, ahead_of_time_specs())
    second_decode.assert_not_called()
    # One header read for the size, one decode for the whole set and its placeholder.
    assert len(opened) == 2
    image.refresh_from_db()
    assert PREVIEW_URI.match(image.placeholder)
    assert COLOUR.match(image.dominant_colour)


def test_a_new_file_replaces_the_placeholder(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image = new_image(make_image("Red", 400, 300))
    image.refresh_from_db()
    first = image.placeholder
    assert first
    with django_capture_on_commit_callbacks(execute=True):
        image.file = ContentFile(make_image("Green and different", 400, 300), "other.jpg")
        image.save()
        # Until the new file's renditions are made, no preview of the old picture.
        assert image.placeholder == "" and image.dominant_colour == ""
        assert get_image_model().objects.get(pk=image.pk).placeholder == ""
    image.refresh_from_db()
    assert image.placeholder and image.placeholder != first


def test_warm_renditions_gives_older_images_their_placeholder():
    image = new_image(make_photo("Older", 800, 600))  # its upload task never ran
    rendition_sets.make_rendition_set(image, ahead_of_time_specs())
    get_image_model().objects.filter(pk=image.pk).update(dominant_colour="", placeholder="")

    out = io.StringIO()
    call_command("warm_renditions", stdout=out, stderr=io.StringIO())
    assert "1 images checked, 0 renditions and 1 placeholders created." in out.getvalue()
    image.refresh_from_db()
    assert PREVIEW_URI.match(image.placeholder) and COLOUR.match(image.dominant_colour)


def with_placeholder(**fields):
    image = ImageFactory(**fields)
    rendition_sets.add_placeholder(image)
    return image


def test_pictures_show_the_preview_in_the_box_of_the_picture_under_the_csp(client, catalogue):
    hero = with_placeholder(size=(800, 600), description="Oak chair from the front")
    plain = ImageFactory(size=(640, 480))  # renditions not made yet: no placeholder
    product = ProductPageFactory(
        parent=catalogue, hero_image=hero, body=[image_block(plain, alt="Detail")]
    )

    response = client.get(product.url)
    html = response.content.decode()
    preview = f'<img class="placeholder__preview" src="{hero.placeholder}" alt="">'
    # The preview first, then the picture whose <img> reserves the box from its size.
    match = re.search(
        re.escape(f'<span class="placeholder">{preview}<picture>') + r"(.*?)</picture></span>",
        html,
        re.S,
    )
    assert match, "no placeholder around the hero"
    hero_img = re.search(r"<img [^>]*>", match.group(1)).group(0)
    width = int(re.search(r'width="(\d+)"', hero_img).group(1))
    height = int(re.search(r'height="(\d+)"', hero_img).group(1))
    assert abs(width / height - 800 / 600) < 0.01
    # The image without a placeholder renders as before: a bare picture.
    assert html.count('class="placeholder"') == 1
    assert "Detail" in html

    # Nothing the CSP would block: no inline style, and the preview is an allowed data: image.
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert "'unsafe-inline'" not in policy["style-src"]
    assert "data:" in policy["img-src"].split()
    assert not re.search(r"<[^>]+\sstyle=", html)
    assert "<style" not in html


def test_the_api_carries_colour_and_preview(client, catalogue):
    hero = with_placeholder(size=(800, 600))
    body = with_placeholder(size=(640, 480))
    product = ProductPageFactory(
        parent=catalogue, hero_image=hero, body=[image_block(body, alt="Detail")]
    )

    image = client.get(f"/api/v2/images/{hero.pk}/").json()
    assert image["dominant_colour"] == hero.dominant_colour
    assert image["placeholder"] == hero.placeholder
    listed = client.get("/api/v2/images/").json()["items"]
    assert {i["id"]: i["placeholder"] for i in listed}[body.pk] == body.placeholder

    page = client.get(f"/api/v2/pages/{product.pk}/").json()
    assert page["hero_image"]["placeholder"] == hero.placeholder
    assert page["hero_image"]["dominant_colour"] == hero.dominant_colour
    assert (page["hero_image"]["width"], page["hero_image"]["height"]) == (800, 600)
    (block,) = [b for b in page["body"] if b["type"] == "image"]
    assert block["value"]["image"]["placeholder"] == body.placeholder
