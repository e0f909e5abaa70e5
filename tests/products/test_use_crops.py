"""Per-use crops (cms/media/crops.py): a use's own focal point is rendered for that use only,
its renditions are made ahead of time, and the page, the listing and the API show them."""

import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image as PILImage
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.images import get_image_model
from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

from cms.media.warm import warm_renditions
from products.blocks import ProductImageBlock
from products.models import ProductPage
from tests.factories import ImageFactory, ProductPageFactory, gallery_block, image_block
from tests.products.test_query_budget import PRODUCT_PAGE_QUERIES, product_with, queries_for

pytestmark = pytest.mark.django_db

# A 400x200 picture: red on the left half, blue on the right.
RIGHT_HALF = {"x": 200, "y": 0, "width": 200, "height": 200}
LEFT_HALF = {"x": 0, "y": 0, "width": 200, "height": 200}


def two_colour_png(left=(220, 20, 20), right=(20, 20, 220)):
    picture = PILImage.new("RGB", (400, 200), left)
    picture.paste(right, (200, 0, 400, 200))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def two_colour_image():
    image = ImageFactory(file=ContentFile(two_colour_png(), name="halves.png"))
    # The library's own focal point: the left (red) half.
    image.focal_point_x, image.focal_point_y = 100, 100
    image.focal_point_width = image.focal_point_height = 200
    image.save()
    return image


def Rendition():  # noqa: N802 - a model class
    return get_image_model().get_rendition_model()


def published(catalogue, **fields):
    page = ProductPageFactory(parent=catalogue, live=False, **fields)
    page.save_revision().publish()
    return ProductPage.objects.get(pk=page.pk)


def mean_colour(rendition):
    with rendition.file.open("rb") as file:
        picture = PILImage.open(io.BytesIO(file.read())).convert("RGB")
    return picture.resize((1, 1), PILImage.Resampling.BOX).getpixel((0, 0))


@pytest.fixture
def cropped_page(catalogue, django_capture_on_commit_callbacks):
    """A published product: its hero cropped to the right half, and a gallery showing the
    same image twice, the first use cropped to the right half, the second following the
    library (left half). Every task has run."""
    with django_capture_on_commit_callbacks(execute=True):
        image = two_colour_image()
        gallery = gallery_block([image, image])
        gallery["value"][0]["focal_point"] = RIGHT_HALF
        page = published(
            catalogue,
            hero_image=image,
            hero_focal_point=RIGHT_HALF,
            body=[image_block(image, alt="Both halves"), gallery],
        )
    return page, image


def test_public_page_makes_no_rendition_and_shows_each_use_its_crop(client, cropped_page):
    page, image = cropped_page
    before = Rendition().objects.count()

    html = client.get(page.url).content.decode()

    assert Rendition().objects.count() == before  # all made ahead of time
    thumbs = Rendition().objects.filter(image=image, filter_spec="format-jpeg|fill-200x200")
    by_url = {rendition.url: rendition for rendition in thumbs}
    assert len(by_url) == 2  # one per focal point
    used = [url for url in by_url if url in html]
    assert len(used) == 2
    first, second = sorted(used, key=html.index)
    red, blue = (220, 20, 20), (20, 20, 220)
    assert close(mean_colour(by_url[first]), blue)  # the cropped use: the right half
    assert close(mean_colour(by_url[second]), red)  # the library's focal point: the left


def bluer(colour):
    return colour[2] > colour[0] + 60


def close(colour, expected, tolerance=30):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def test_hero_crop_on_page_card_and_api(client, cropped_page, catalogue):
    page, image = cropped_page
    other = published(catalogue, hero_image=image)  # the same image, no crop
    before = Rendition().objects.count()

    card_spec = "format-jpeg|fill-640x480"
    cards = Rendition().objects.filter(image=image, filter_spec=card_spec)
    # 4:3 from a 2:1 picture: the cropped card is mostly the right (blue) half.
    cropped_card = next(r for r in cards if bluer(mean_colour(r)))
    listing = client.get(catalogue.url).content.decode()
    # The original is narrower than 640: the card's srcset names the 320x240 fill only.
    small_cards = Rendition().objects.filter(image=image, filter_spec="format-jpeg|fill-320x240")
    cropped = small_cards.get(focal_point_key=cropped_card.focal_point_key)
    library = small_cards.exclude(pk=cropped.pk).get()
    shown = set(re.findall(r"/media/images/[^ \"]+\.fill-320x240\.jpg", listing))
    assert shown == {cropped.url, library.url}  # the other product's card: the library's

    api = client.get(f"/api/v2/pages/{page.pk}/").json()
    other_api = client.get(f"/api/v2/pages/{other.pk}/").json()
    assert api["hero_focal_point"] == RIGHT_HALF
    assert api["hero_card"]["url"] == cropped_card.url
    assert other_api["hero_card"]["url"] != cropped_card.url
    gallery = next(block for block in api["body"] if block["type"] == "gallery")
    assert [item["focal_point"] for item in gallery["value"]] == [RIGHT_HALF, None]
    assert Rendition().objects.count() == before  # no request made one


def test_product_page_queries_stay_flat_with_crops(client, catalogue):
    page = product_with(catalogue, n_images=10, n_documents=1)
    page.hero_focal_point = {"x": 0, "y": 0, "width": 10, "height": 10}
    raw = page.body.get_prep_value()
    item = raw[1]["value"][0]
    item = item["value"] if item.get("type") == "item" else item
    item["focal_point"] = {"x": 1, "y": 1, "width": 5, "height": 5}
    page.body = raw
    page.save()
    assert queries_for(client, page.url) == PRODUCT_PAGE_QUERIES


def test_warm_renditions_makes_missing_crop_renditions(cropped_page):
    page, image = cropped_page
    key = crop_key(image)
    Rendition().objects.filter(image=image, focal_point_key=key).delete()

    report = warm_renditions()

    assert report.failed == []
    remade = Rendition().objects.filter(image=image, focal_point_key=key)
    # hero (fill-320x240, 640x480, 1200x630) and gallery (fill-200x200, 400x400) crops
    assert sorted({r.filter_spec.split("|")[1] for r in remade}) == [
        "fill-1200x630",
        "fill-200x200",
        "fill-320x240",
        "fill-400x400",
        "fill-640x480",
    ]


def crop_key(image):
    from wagtail.images.models import Filter

    from cms.media.crops import for_use

    return Filter(spec="fill-200x200").get_cache_key(for_use(image, RIGHT_HALF))


def test_moving_the_library_focal_point_keeps_the_crop_renditions(
    cropped_page, django_capture_on_commit_callbacks
):
    page, image = cropped_page
    key = crop_key(image)
    kept = set(
        Rendition().objects.filter(image=image, focal_point_key=key).values_list("pk", flat=True)
    )
    assert kept
    with django_capture_on_commit_callbacks(execute=True):
        image.focal_point_x = 150
        image.save()
    after = set(
        Rendition().objects.filter(image=image, focal_point_key=key).values_list("pk", flat=True)
    )
    assert kept == after


def test_replacing_the_file_remakes_the_crop_renditions(
    cropped_page, django_capture_on_commit_callbacks
):
    page, image = cropped_page
    key = crop_key(image)
    with django_capture_on_commit_callbacks(execute=True):
        image.file = ContentFile(two_colour_png(right=(20, 220, 20)), name="again.png")
        image.save()
    remade = Rendition().objects.filter(image=image, focal_point_key=key)
    # hero: fill-{320x240,640x480} in three formats and fill-1200x630; gallery: fill-{200,400}
    assert remade.count() == 13
    thumb = remade.get(filter_spec="format-jpeg|fill-200x200")
    assert close(mean_colour(thumb), (20, 220, 20))  # the new file's right half


# The block and the hero field, as the admin's forms use them


def block_value(image, focal_point):
    block = ProductImageBlock()
    raw = {"image": image.pk, "alt_text": "Alt", "decorative": False}
    if focal_point is not None:
        raw["focal_point"] = focal_point
    return block, block.to_python(raw)


def test_block_stores_the_focal_point_only_when_set():
    image = ImageFactory(size=(64, 48))
    block, value = block_value(image, None)
    assert "focal_point" not in block.get_prep_value(value)
    block, value = block_value(image, {"x": 1, "y": 2, "width": 3, "height": 4})
    assert block.get_prep_value(value)["focal_point"] == {"x": 1, "y": 2, "width": 3, "height": 4}
    # The use's instance is cropped; the library row is not.
    assert (value.focal_point_x, value.focal_point_width) == (2, 3)
    image.refresh_from_db()
    assert image.focal_point_x is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("50, 0, 20, 10", "lies outside the image (64x48 pixels)"),
        ("0, 0, 0, 10", "width and height from 1"),
        ("1, 2, 3", "Give four whole numbers"),
        ("a, b, c, d", "Give four whole numbers"),
    ],
)
def test_block_form_refuses_a_bad_crop(text, message):
    image = ImageFactory(size=(64, 48))
    block = ProductImageBlock()
    data = {
        "img-image": str(image.pk),
        "img-alt_text": "Alt",
        "img-focal_point": text,
    }
    value = block.value_from_datadict(data, {}, "img")
    with pytest.raises(StructBlockValidationError) as error:
        block.clean(value)
    assert message in " ".join(error.value.block_errors["focal_point"].messages)


def test_block_form_accepts_a_crop_inside():
    image = ImageFactory(size=(64, 48))
    block = ProductImageBlock()
    data = {"img-image": str(image.pk), "img-alt_text": "Alt", "img-focal_point": "0, 0, 64, 48"}
    value = block.clean(block.value_from_datadict(data, {}, "img"))
    assert block.get_prep_value(value)["focal_point"] == {
        "x": 0,
        "y": 0,
        "width": 64,
        "height": 48,
    }


def test_hero_crop_outside_the_image_is_a_form_error(catalogue):
    page = ProductPageFactory(parent=catalogue, hero_image=ImageFactory(size=(64, 48)))
    page.hero_focal_point = {"x": 0, "y": 0, "width": 65, "height": 10}
    with pytest.raises(ValidationError) as error:
        page.full_clean()
    assert "hero_focal_point" in error.value.message_dict


# Through the admin's page form, without JavaScript: the crop is a text field.


def admin_form(image, hero_crop="", gallery_crop=""):
    use = {"image": image.pk, "alt_text": "Brass lamp", "decorative": ""}
    return nested_form_data(
        {
            "title": "Brass lamp",
            "slug": "brass-lamp",
            "sku": "LA-1",
            "summary": "A lamp.",
            "hero_image": image.pk,
            "hero_focal_point": hero_crop,
            "body": streamfield(
                [
                    (
                        "gallery",
                        {
                            "0": {
                                "value": {**use, "focal_point": gallery_crop},
                                "deleted": "",
                                "order": "0",
                                "id": "",
                            },
                            "count": "1",
                        },
                    )
                ]
            ),
            "related_products": inline_formset([]),
        }
    )


def test_admin_form_stores_crops_and_refuses_one_outside_the_image(admin_client, catalogue):
    image = ImageFactory(size=(64, 48))
    url = f"/admin/pages/add/products/productpage/{catalogue.pk}/"

    response = admin_client.post(url, admin_form(image, hero_crop="0, 0, 65, 10"))
    assert response.status_code == 200
    assert "lies outside the image (64x48 pixels)" in response.content.decode()
    response = admin_client.post(url, admin_form(image, gallery_crop="60, 0, 10, 10"))
    assert response.status_code == 200
    assert "lies outside the image (64x48 pixels)" in response.content.decode()
    assert not ProductPage.objects.filter(sku="LA-1").exists()

    response = admin_client.post(
        url, admin_form(image, hero_crop="0, 0, 64, 48", gallery_crop="8, 4, 20, 10")
    )
    assert response.status_code == 302
    page = ProductPage.objects.get(sku="LA-1")
    assert page.hero_focal_point == {"x": 0, "y": 0, "width": 64, "height": 48}
    gallery = page.body.get_prep_value()[0]["value"][0]["value"]
    assert gallery["focal_point"] == {"x": 8, "y": 4, "width": 20, "height": 10}
