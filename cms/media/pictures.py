"""`<picture>` elements and single rendition URLs for named specs, cheap from the second render.

A page with 20 images spent most of its time building the same `<picture>` markup again:
Filters, rendition lookups, srcset strings, one storage `url()` per rendition. Here the markup
of a prefetched image (cms/media/prefetch.py) is cached under a key made of everything it is
made from, so a change to any of them makes a new key and the next render shows it; nothing
has to remember to delete an entry (stale ones expire with the cache's timeout):

- the image: id, file name and content hash, focal point;
- the use: the spec's name and operations, the tag's attributes, the alt text (the image's
  description and title, a per-use alt text, the decorative flag);
- the renditions rows the page's prefetch loaded for the spec (ids, files, sizes, focal point
  keys): renditions deleted and made again, even from the same file, get new ids and
  possibly new file names, so a cached picture never names a file that has gone;
- where renditions are linked (the rendition storage's URL, e.g. S3_PUBLIC_URL);
- the image's placeholder (cms/media/placeholders.py).

A picture whose image has a placeholder comes in a `<span class="placeholder">` with the
blurred preview as a first `<img>` (a `data:` URI, which the CSP allows) that the stylesheet
stretches under the picture; the picture's `<img>` keeps its `width` and `height`, so the box
has its aspect ratio before any byte of the rendition arrives. No inline style: the site's
CSP has no `'unsafe-inline'`.

Markup is cached only when every rendition it names was among those rows: a picture whose
renditions were made during the render is cached on the next one, under the key of the rows
it then names.
"""

import hashlib

from django.utils.html import format_html
from django.utils.safestring import mark_safe
from wagtail.images.models import Picture
from wagtail.images.shortcuts import get_renditions_or_not_found

from cms.media.prefetch import PrefetchedRenditions

# Part of every key: change it when the markup written here changes for the same inputs.
MARKUP_VERSION = 2


class OneWidthEachPicture(Picture):
    """Wagtail's Picture, naming each width once per srcset.

    Renditions never upscale, so an original narrower than a spec's largest width gives
    several renditions of one width; a srcset may not repeat a width descriptor (HTML spec),
    and Wagtail's Picture would repeat it. The first rendition of each width is kept.
    """

    @classmethod
    def get_width_srcset(cls, renditions_list):
        by_width = {}
        for rendition in renditions_list:
            by_width.setdefault(rendition.width, rendition)
        return ", ".join(f"{r.url} {r.width}w" for r in by_width.values())


def picture_html(image, spec, attrs):
    """The `<picture>` of `image` for the named `spec` (cms/media/renditions.py), with `attrs`
    on its `<img>`: Wagtail's `{% picture %}` markup, from the cache when it can be."""
    prefetched = getattr(image, "prefetched_renditions", None)
    key = rows = None
    if isinstance(prefetched, PrefetchedRenditions):
        rows = prefetched.rows_for(spec.filter_specs)
        key = picture_key(image, spec, attrs, rows)
        html = cache(image).get(key)
        if html is not None:
            return mark_safe(html)  # noqa: S308 - markup this function rendered and escaped
    renditions = get_renditions_or_not_found(image, spec.filters)
    # Picture adds `srcset` to the attributes it is given: a copy keeps `attrs` as keyed.
    html = with_placeholder(image, OneWidthEachPicture(renditions, dict(attrs)).__html__())
    if key is not None and {r.pk for r in renditions.values()} <= {row["id"] for row in rows}:
        cache(image).set(key, str(html))
    return html


def with_placeholder(image, picture):
    """`picture` over the image's blurred preview, or as it is when there is none yet."""
    if not image.placeholder:
        return picture
    return format_html(
        '<span class="placeholder"><img class="placeholder__preview" src="{}" alt="">{}</span>',
        image.placeholder,
        picture,
    )


def picture_key(image, spec, attrs, rows):
    # One flat string of the parts, hashed: `repr` of nested tuples and dicts cost 60 us per
    # picture, half of a cached picture's time. Text an editor writes goes in as `repr`, which
    # escapes the separator, so no two different sets of parts join alike.
    parts = [
        str(MARKUP_VERSION),
        spec.name,
        *spec.operations,
        str(image.pk),
        repr(image.file.name),
        image.file_hash,
        f"{image.focal_point_x},{image.focal_point_y},"
        f"{image.focal_point_width},{image.focal_point_height}",
        repr(image.default_alt_text),
        repr(getattr(image, "contextual_alt_text", None)),
        repr(getattr(image, "decorative", None)),
        image.placeholder,
        *(f"{name}={value!r}" for name, value in attrs.items()),
        rendition_storage(image).url(""),
        *(
            f"{r['id']}:{r['file']}:{r['width']}x{r['height']}:{r['focal_point_key']}"
            for r in rows
        ),
    ]
    return "picture:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def rendition_url(image, spec):
    """URL of the single rendition a named spec describes (a lightbox's large image, the
    social-media preview)."""
    (filter_,) = spec.filters
    prefetched = getattr(image, "prefetched_renditions", None)
    if isinstance(prefetched, PrefetchedRenditions):
        row = prefetched.row_for(filter_)
        if row is not None:
            # What Rendition.url returns, from the row the prefetch loaded.
            return rendition_storage(image).url(row["file"])
    # Not Wagtail's get_rendition: it writes the rendition to the cache on every call, pickling
    # it, even when it was prefetched; get_renditions writes only what it did not find there.
    return image.get_renditions(filter_)[filter_.spec].url


def rendition_storage(image):
    """The storage rendition files are in (and linked from): what `Rendition.url` asks."""
    return type(image).get_rendition_model()._meta.get_field("file").storage


def cache(image):
    """Wagtail's rendition cache (`renditions`, else the default cache)."""
    return type(image).get_rendition_model().cache_backend
