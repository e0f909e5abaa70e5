"""Load renditions for many images at once, so a page's query count does not grow with them."""

import copy
from collections import defaultdict

from django.db.models import Q
from wagtail.images import get_image_model


def prefetch_renditions(*uses):
    """Fetch, in one query, the renditions that each group of images needs.

    Each use is `(images, specs)`: a list of image instances (None is skipped) and the named
    specs (cms/media/renditions.py) they are rendered with. Wagtail's `get_rendition(s)` looks
    in an image's `prefetched_renditions` first and trusts it, so templates then make no
    rendition queries; a missing rendition is still created.

    Not Django's `prefetch_related_objects`: it gives every instance of one image the same
    rendition objects, pointing back at one of those instances. A page holds one image as
    several instances (the hero, each use in a block, with its own alt text), and a
    rendition's `alt` comes from the instance it points at, so each instance gets its own copies.
    """
    wanted = Q()
    all_images = []
    for images, specs in uses:
        images = [image for image in images if image is not None]
        if images:
            filter_specs = {f for spec in specs for f in spec.filter_specs}
            wanted |= Q(image_id__in={image.pk for image in images}, filter_spec__in=filter_specs)
            all_images.extend(images)
    if not all_images:
        return
    Rendition = get_image_model().get_rendition_model()
    by_image = defaultdict(list)
    for rendition in Rendition.objects.filter(wanted):
        by_image[rendition.image_id].append(rendition)
    for image in all_images:
        image.prefetched_renditions = [own_copy(r, image) for r in by_image[image.pk]]


def own_copy(rendition, image):
    rendition = copy.copy(rendition)
    rendition.image = image
    return rendition
