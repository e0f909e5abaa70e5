"""Perceptual hashes and near-duplicates (cms/media/duplicates.py), on generated photos."""

import io

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Collection, ReferenceIndex

from cms.demo.generate import make_photo
from cms.media import rendition_sets
from cms.media.duplicates import (
    distance,
    hash_image,
    hash_of_file,
    near_duplicate_groups,
    near_duplicates,
)
from cms.media.renditions import ahead_of_time_specs
from tests.factories import ProductPageFactory, gallery_block

PHOTO = make_photo("Oak chair", 1200, 900)


def reencoded(data, size=None, fmt="JPEG", **options):
    """`data` decoded and saved again: resized to `size`, in `fmt`."""
    picture = PILImage.open(io.BytesIO(data)).convert("RGB")
    if size:
        picture = picture.resize(size, PILImage.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


COPIES = {
    "quality 40 jpg": lambda: reencoded(PHOTO, quality=40),
    "half size jpg": lambda: reencoded(PHOTO, (600, 450), quality=80),
    "quarter size png": lambda: reencoded(PHOTO, (300, 225), "PNG"),
    "quality 60 webp": lambda: reencoded(PHOTO, fmt="WEBP", quality=60),
}


@pytest.mark.parametrize("copy", COPIES)
def test_a_reencoded_or_resized_copy_is_within_the_distance(copy):
    gap = distance(hash_of_file(PHOTO), hash_of_file(COPIES[copy]()))
    assert gap <= settings.MEDIA_DUPLICATE_DISTANCE


@pytest.mark.parametrize("label", ["Oak table", "Steel lamp", "Linen sofa", "Product 7"])
def test_a_different_photo_is_not(label):
    # The generator draws every label's scene with the same shapes: the hardest case.
    other = make_photo(label, 1200, 900)
    assert distance(hash_of_file(PHOTO), hash_of_file(other)) > settings.MEDIA_DUPLICATE_DISTANCE


def test_distance_counts_differing_bits():
    assert distance("0000000000000000", "0000000000000000") == 0
    assert distance("0000000000000000", "ffffffffffffffff") == 64
    assert distance("8000000000000001", "0000000000000000") == 2


def new_image(content, title="Photo", name="photo.jpg", **fields):
    image = get_image_model()(
        title=title,
        collection=Collection.get_first_root_node(),
        file=ContentFile(content, name),
        **fields,
    )
    image.save()
    return image


@pytest.mark.django_db
def test_the_rendition_set_stores_the_hash_from_its_own_decode():
    image = new_image(PHOTO)
    assert image.perceptual_hash == ""
    rendition_sets.make_rendition_set(image, ahead_of_time_specs())
    image.refresh_from_db()
    assert len(image.perceptual_hash) == 16
    assert distance(image.perceptual_hash, hash_of_file(PHOTO)) <= 2


@pytest.mark.django_db
def test_a_new_file_clears_the_hash_until_its_renditions_are_made():
    image = new_image(PHOTO)
    hash_image(image)
    image.file = ContentFile(make_photo("Other", 400, 300), "other.jpg")
    image.save()
    assert get_image_model().objects.get(pk=image.pk).perceptual_hash == ""


@pytest.mark.django_db
def test_warm_renditions_backfills_hashes():
    image = new_image(PHOTO)
    rendition_sets.make_rendition_set(image, ahead_of_time_specs())
    get_image_model().objects.filter(pk=image.pk).update(perceptual_hash="")
    call_command("warm_renditions", stdout=io.StringIO(), stderr=io.StringIO())
    image.refresh_from_db()
    assert distance(image.perceptual_hash, hash_of_file(PHOTO)) <= 2


@pytest.mark.django_db
def test_near_duplicates_are_found_with_their_product_count(catalogue):
    original = new_image(PHOTO, "Oak chair")
    copy = new_image(COPIES["half size jpg"](), "Oak chair, smaller", "small.jpg")
    different = new_image(make_photo("Steel lamp", 1200, 900), "Steel lamp", "lamp.jpg")
    preview = new_image(reencoded(PHOTO, quality=70), "Preview", "p.jpg", document_preview=True)
    for image in (original, copy, different, preview):
        hash_image(image)
    for n in range(3):
        page = ProductPageFactory(parent=catalogue, hero_image=different)
        page.body = [gallery_block([original])] if n < 2 else []
        page.save()
        ReferenceIndex.create_or_update_for_object(page)

    found = near_duplicates(copy)
    assert [n.image for n in found] == [original]  # neither the lamp nor the preview
    assert found[0].products == 2
    assert found[0].describe() == f"#{original.pk} “Oak chair”, used on 2 products"
    assert near_duplicates(preview) == []  # previews are never candidates, nor compared


@pytest.mark.django_db
def test_the_health_groups_hold_each_set_of_lookalikes():
    chair = [new_image(PHOTO, "Chair")] + [
        new_image(make(), f"Chair {name}", f"c.{name.split()[-1]}")
        for name, make in COPIES.items()
    ]
    lamp_photo = make_photo("Steel lamp", 800, 600)
    lamp = [new_image(lamp_photo, "Lamp"), new_image(reencoded(lamp_photo, quality=50), "L2")]
    alone = new_image(make_photo("Linen sofa", 800, 600), "Sofa")
    for image in [*chair, *lamp, alone]:
        hash_image(image)
    groups = near_duplicate_groups()
    assert [[image.pk for image in group] for group in groups] == [
        [image.pk for image in chair],
        [image.pk for image in lamp],
    ]
