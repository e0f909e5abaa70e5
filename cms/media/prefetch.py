"""Load renditions for many images at once, so a page's query count does not grow with them."""

from django.db.models import Prefetch, Q, prefetch_related_objects
from wagtail.images import get_image_model


def prefetch_renditions(*uses):
    """Fetch, in one query, the renditions that each group of images needs.

    Each use is `(images, specs)`: a list of image instances (None is skipped) and the named
    specs (cms/media/renditions.py) they are rendered with. Wagtail's `get_rendition(s)` looks
    in the prefetched list first and trusts it, so templates then make no rendition queries;
    a missing rendition is still created. StreamField block values are instances, not a
    queryset, hence `prefetch_related_objects` rather than `ImageQuerySet.prefetch_renditions`.
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
    prefetch_related_objects(
        all_images, Prefetch("renditions", queryset=Rendition.objects.filter(wanted))
    )
