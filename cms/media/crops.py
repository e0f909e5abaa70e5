"""Per-use focal points: one use of an image (a product's hero, a body image, a gallery item)
cropped around its own focal area instead of the library image's.

A use stores its focal point as `{"x", "y", "width", "height"}` (original pixels, upright,
`x`, `y` its top left corner, as catalogue format 1.1 writes it). Wagtail's own fields hold
the centre instead (`focal_point_x` = x + width // 2): `wagtail_fields` and
`library_focal_point` convert, so a rectangle goes in and comes out the same.

A use is rendered from a copy of the image instance with the focal point fields overridden
(`for_use`): Wagtail keys renditions by `focal_point_key`, a hash of those fields, so the
use's `fill-` renditions are rows of their own beside the library image's, and every other
use of the image is untouched. Renditions without a crop (`width-`, `max-`) do not depend
on the focal point and are shared.
"""

import copy
from io import BytesIO

from PIL import Image as PILImage

FIELDS = ("x", "y", "width", "height")


def focal_point_value(rect):
    """A focal point tuple `(x, y, width, height)` as a use stores it (None stays None)."""
    return dict(zip(FIELDS, rect, strict=True)) if rect else None


def as_rect(value):
    """A stored focal point (dict) as a tuple, or None when there is none or it is malformed."""
    if not isinstance(value, dict):
        return None
    rect = tuple(value.get(name) for name in FIELDS)
    return rect if all(type(n) is int for n in rect) else None


def scaled_focal_point(value, from_size, to_size):
    """A use's focal point (dict) on an image of `from_size` moved onto a copy of it at
    `to_size` (a merge keeps a resized near-duplicate): the same part of the picture, kept
    inside the image."""
    rect = as_rect(value)
    if rect is None or tuple(from_size) == tuple(to_size):
        return value
    fx, fy = to_size[0] / from_size[0], to_size[1] / from_size[1]
    x = min(max(round(rect[0] * fx), 0), to_size[0] - 1)
    y = min(max(round(rect[1] * fy), 0), to_size[1] - 1)
    width = min(max(round(rect[2] * fx), 1), to_size[0] - x)
    height = min(max(round(rect[3] * fy), 1), to_size[1] - y)
    return focal_point_value((x, y, width, height))


def focal_point_problem(rect, size):
    """Why the focal area `rect` does not fit an image of `size` (width, height), or None."""
    x, y, width, height = rect
    image_width, image_height = size
    if width < 1 or height < 1:
        return "a focal point's width and height are at least 1"
    if x < 0 or y < 0 or x + width > image_width or y + height > image_height:
        return (
            f"the focal point {x},{y} {width}x{height} lies outside the image "
            f"({image_width}x{image_height} pixels)"
        )
    return None


def image_size(existing, data):
    """The upright size of an image: a library item's stored size, else read from the
    header of its bytes (the EXIF orientation applied, as the library stores it)."""
    if existing is not None:
        return (existing.width, existing.height)
    from cms.media.rendition_sets import upright_size

    with PILImage.open(BytesIO(data)) as picture:
        return upright_size(picture)


def wagtail_fields(rect):
    """Wagtail's focal point fields (centre, width, height) for a top-left rectangle."""
    x, y, width, height = rect
    return {
        "focal_point_x": x + width // 2,
        "focal_point_y": y + height // 2,
        "focal_point_width": width,
        "focal_point_height": height,
    }


def library_focal_point(image):
    """The library image's own focal point as a top-left rectangle tuple, or None."""
    centre_x, centre_y, width, height = (getattr(image, f"focal_point_{name}") for name in FIELDS)
    if None in (centre_x, centre_y, width, height):
        return None
    # Wagtail rounds the centre of an odd-sized area chosen in its admin: near an edge the
    # rectangle could reach a pixel past it, which no manifest may say. Kept inside.
    width, height = min(width, image.width or width), min(height, image.height or height)
    x = min(max(0, centre_x - width // 2), (image.width or width) - width)
    y = min(max(0, centre_y - height // 2), (image.height or height) - height)
    return (x, y, width, height)


def for_use(image, value):
    """`image` as one use with the stored focal point `value` shows it: a copy with the focal
    point fields overridden (never saved), or `image` itself when the use has none."""
    rect = as_rect(value)
    if image is None or rect is None:
        return image
    used = copy.copy(image)
    # Renditions prefetched for the image instance are keyed by its focal point, not this one.
    used.__dict__.pop("prefetched_renditions", None)
    for name, number in wagtail_fields(rect).items():
        setattr(used, name, number)
    used.use_focal_point = rect
    return used


def crops_of(image_ids=None):
    """{image id: {rect: {use, ...}}}: the uses that crop these images (all, when None)."""
    # Uses live in product pages: the media app asks the products app, as for the pages
    # refreshed when an image changes (cms/media/replaced.py).
    from products.crop_uses import crops_of as product_crops

    return product_crops(image_ids)


def make_crop_renditions(image, rects):
    """Make, for each `rect: uses` of `image`, the renditions those uses show with that focal
    point (cms/media/renditions.py, USE_SPECS); those that exist are kept. Renditions that do
    not crop (`width-`, `max-`) are the image's own, shared by every use."""
    from cms.media.rendition_sets import make_rendition_set
    from cms.media.renditions import use_filter_specs

    for rect, uses in rects.items():
        make_rendition_set(for_use(image, focal_point_value(rect)), use_filter_specs(uses))


def crop_keys(image):
    """The focal point keys of `image`'s renditions that some use's crop needs."""
    from wagtail.images.models import Filter

    from cms.media.renditions import use_filter_specs

    keys = set()
    for rect, uses in crops_of([image.pk]).get(image.pk, {}).items():
        used = for_use(image, focal_point_value(rect))
        keys.update(Filter(spec=spec).get_cache_key(used) for spec in use_filter_specs(uses))
    return keys
