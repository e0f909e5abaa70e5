"""Load renditions for many images at once, so a page's query count does not grow with them."""

from collections import defaultdict

from django.db.models import Q
from wagtail.images import get_image_model


def prefetch_renditions(*uses):
    """Fetch, in one query, the renditions that each group of images needs.

    Each use is `(images, specs)`: a list of image instances (None is skipped) and the named
    specs (cms/media/renditions.py) they are rendered with. Each image instance gets its own
    `PrefetchedRenditions` as `prefetched_renditions`: Wagtail's `get_rendition(s)` looks there
    first and trusts it, so templates then make no rendition queries; a missing rendition is
    still created. The rows also make the cache keys of cms/media/pictures.py.

    Not Django's `prefetch_related_objects`: it gives every instance of one image the same
    rendition objects, pointing back at one of those instances. A page holds one image as
    several instances (the hero, each use in a block, with its own alt text), and a
    rendition's `alt` comes from the instance it points at, so each instance gets its own.
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
    fields = rendition_fields(Rendition)
    # Plain rows: a page whose pictures are all cached never needs Rendition instances.
    rows = Rendition.objects.filter(wanted).values_list(*fields)
    by_image = defaultdict(list)
    for row in rows:
        by_image[row[fields.index("image_id")]].append(row)
    for image in all_images:
        image.prefetched_renditions = PrefetchedRenditions(image, by_image[image.pk], rows.db)


def rendition_fields(Rendition):  # noqa: N803 - a model class
    """Every concrete field of the rendition model, in the order `Model.from_db` expects."""
    return tuple(field.attname for field in Rendition._meta.concrete_fields)


class PrefetchedRenditions:
    """The renditions prefetched for one image instance: the rows as loaded, turned into
    Rendition instances (pointing at this instance, for its alt text) only when Wagtail first
    looks at them.

    Wagtail reads `prefetched_renditions` by iterating it and adds the renditions it creates
    with `append`; that is all this supports.
    """

    def __init__(self, image, rows, db):
        self.image = image
        self.db = db
        self.Rendition = type(image).get_rendition_model()
        self.fields = rendition_fields(self.Rendition)
        self.rows = [dict(zip(self.fields, row, strict=True)) for row in rows]
        self._renditions = None

    def rows_for(self, filter_specs):
        """The rows of these filter specs (any focal point), in a stable order."""
        return sorted(
            (row for row in self.rows if row["filter_spec"] in filter_specs),
            key=lambda row: row["id"],
        )

    def row_for(self, filter):  # noqa: A002 - Wagtail's name
        """The row Wagtail would use for `filter` on this image, or None."""
        focal_point_key = filter.get_cache_key(self.image)
        for row in self.rows:
            if row["filter_spec"] == filter.spec and row["focal_point_key"] == focal_point_key:
                return row
        return None

    def renditions(self):
        if self._renditions is None:
            self._renditions = []
            for row in self.rows:
                rendition = self.Rendition.from_db(
                    self.db, self.fields, [row[field] for field in self.fields]
                )
                rendition.image = self.image
                self._renditions.append(rendition)
        return self._renditions

    def __iter__(self):
        return iter(self.renditions())

    def __len__(self):
        return len(self.rows) if self._renditions is None else len(self._renditions)

    def append(self, rendition):
        self.renditions().append(rendition)
