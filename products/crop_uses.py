"""Where product pages crop an image for one use (cms/media/crops.py), and the renditions those
uses need, made ahead of time like the rest.

A use's focal point lives in the page (`hero_focal_point`, or `focal_point` in an image or
gallery block's value), so the crops of an image are found by reading pages: those with any
crop at all (`hero_focal_point` set, or "focal_point" in the body's JSON), from their rows,
which hold the live content (a draft's crops are made by its preview, which is no public
request).
"""

import json
from collections import defaultdict

from django.db import transaction
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django_tasks import task
from wagtail.images import get_image_model

from cms.media.crops import as_rect


def uses_in(hero_id, hero_focal_point, raw_body):
    """`(image id, rect, use)` for each cropped use of one page's content; `use` is a key of
    renditions.USE_SPECS (hero, image, gallery)."""
    rect = as_rect(hero_focal_point)
    if hero_id and rect:
        yield hero_id, rect, "hero"
    for block in raw_body or []:
        value = block.get("value")
        if block.get("type") == "image" and isinstance(value, dict):
            items = [value.get("image")]
        elif block.get("type") == "gallery" and isinstance(value, list):
            items = [item.get("value", item) if isinstance(item, dict) else item for item in value]
        else:
            continue
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("image"), int):
                rect = as_rect(item.get("focal_point"))
                if rect:
                    yield item["image"], rect, block["type"]


def crops_of(image_ids=None):
    """{image id: {rect: {use, ...}}} over every product page's stored content (of the images
    `image_ids` only, when given)."""
    from products.models import ProductPage

    pages = ProductPage.objects.annotate(body_text=Cast("body", TextField())).filter(
        Q(hero_focal_point__isnull=False) | Q(body_text__contains='"focal_point"')
    )
    crops = defaultdict(lambda: defaultdict(set))
    wanted = set(image_ids) if image_ids is not None else None
    for hero_id, hero_focal_point, body_text in pages.values_list(
        "hero_image_id", "hero_focal_point", "body_text"
    ):
        for image_id, rect, use in uses_in(hero_id, hero_focal_point, json.loads(body_text)):
            if wanted is None or image_id in wanted:
                crops[image_id][rect].add(use)
    return crops


def page_crops(page):
    """{image id: {rect: {use, ...}}} of one page's content, as it is in memory."""
    crops = defaultdict(lambda: defaultdict(set))
    for image_id, rect, use in uses_in(
        page.hero_image_id, page.hero_focal_point, page.body.get_prep_value()
    ):
        crops[image_id][rect].add(use)
    return crops


@task()
def generate_crop_renditions(crops):
    """Make the renditions of cropped uses: `crops` is a list of `[image id, rect, uses]`."""
    from cms.media.crops import make_crop_renditions

    images = get_image_model().objects.in_bulk({image_id for image_id, _, _ in crops})
    by_image = defaultdict(dict)
    for image_id, rect, uses in crops:
        by_image[image_id][tuple(rect)] = set(uses)
    for image_id, rects in by_image.items():
        if image_id in images:
            make_crop_renditions(images[image_id], rects)


def queue_crop_renditions(instance, **kwargs):
    """On a product's publish: its cropped uses' renditions, once the transaction commits."""
    crops = page_crops(instance)
    if not crops:
        return
    todo = [
        [image_id, list(rect), sorted(uses)]
        for image_id, rects in crops.items()
        for rect, uses in rects.items()
    ]
    transaction.on_commit(lambda: generate_crop_renditions.enqueue(todo))
