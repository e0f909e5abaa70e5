"""Every rendition the templates use, named once.

Templates ask for a named spec (`{% picture_spec image "hero" %}`), and code that generates
renditions ahead of time reads the same list, so the two can never drift apart.
"""

from dataclasses import dataclass
from functools import cached_property

from wagtail.images.models import Filter


@dataclass(frozen=True)
class RenditionSpec:
    """A named set of Wagtail filter specs, with brace expansion as in `{% picture %}`."""

    name: str
    operations: tuple[str, ...]

    @cached_property
    def filter_specs(self) -> tuple[str, ...]:
        """The individual filter specs, e.g. `("format-avif|width-480", ...)`."""
        return tuple(Filter.expand_spec(list(self.operations)))

    @cached_property
    def filters(self) -> tuple[Filter, ...]:
        """Wagtail's Filter for each spec, built once per process and shared by every render.

        A Filter parses its operations the first time it is used, checking each operation's
        arguments through `inspect`; templates building new Filters on every render paid that
        for every picture (161 Filters on a 20-image page). A Filter holds nothing about the
        image it is applied to, so sharing one is safe.
        """
        return tuple(Filter(spec=spec) for spec in self.filter_specs)


PICTURE_FORMATS = "format-{avif,webp,jpeg}"

# <picture> specs: AVIF and WebP sources and a JPEG <img>, at several widths.
HERO = RenditionSpec("hero", (PICTURE_FORMATS, "width-{480,960,1440}"))
CARD = RenditionSpec("card", (PICTURE_FORMATS, "fill-{320x240,640x480}"))
BODY = RenditionSpec("body", (PICTURE_FORMATS, "width-{480,960}"))
GALLERY_THUMB = RenditionSpec("gallery_thumb", (PICTURE_FORMATS, "fill-{200x200,400x400}"))
# A document's first page in the documents block (cms/media/previews.py).
DOCUMENT_THUMB = RenditionSpec("document_thumb", (PICTURE_FORMATS, "width-{96,192}"))
# Single renditions: the lightbox's large image, and the social-media preview.
GALLERY_LARGE = RenditionSpec("gallery_large", ("format-webp", "max-1600x1600"))
OG_IMAGE = RenditionSpec("og_image", ("format-jpeg", "fill-1200x630"))

# Single JPEG renditions the read-only API links (members of the sets above, so they are made
# ahead of time like the rest).
API_CARD = "format-jpeg|fill-640x480"
API_LARGE = "format-jpeg|width-1440"
API_BODY = "format-jpeg|width-960"
API_DOCUMENT_PREVIEW = "format-jpeg|width-192"

# Wagtail's admin shows every image at this size: the image listing, the chooser's results
# and the chosen image's preview (wagtail/images/views/images.py, views/chooser.py,
# widgets.py, templates). Made ahead of time too, so an editor opening the library after a
# bulk upload waits for none of them.
ADMIN_THUMBNAIL = "max-165x165"

SPECS = {
    spec.name: spec
    for spec in (HERO, CARD, BODY, GALLERY_THUMB, GALLERY_LARGE, OG_IMAGE, DOCUMENT_THUMB)
}
# What each use of a library image on a product page is rendered with: a use with its own
# focal point (cms/media/crops.py) needs these renditions for that focal point (the hero's
# card is on listings; API_CARD and API_LARGE are members).
USE_SPECS = {
    "hero": (HERO, OG_IMAGE, CARD),
    "image": (BODY,),
    "gallery": (GALLERY_THUMB, GALLERY_LARGE),
}


def use_filter_specs(uses):
    """The filter specs the named uses (keys of USE_SPECS) are rendered with."""
    return sorted({f for use in uses for spec in USE_SPECS[use] for f in spec.filter_specs})


# Images shown only as a document's preview: their renditions, and nothing else.
PREVIEW_SPECS = (DOCUMENT_THUMB,)


def all_filter_specs() -> list[str]:
    """Every filter spec any template uses for library images: what an image needs before
    its first visitor (a document preview's specs are not among them)."""
    specs = [spec for spec in SPECS.values() if spec not in PREVIEW_SPECS]
    return sorted({f for spec in specs for f in spec.filter_specs})


def ahead_of_time_specs() -> list[str]:
    """What an image's upload task makes: every template spec and the admin's thumbnail."""
    return [*all_filter_specs(), ADMIN_THUMBNAIL]


def preview_specs() -> list[str]:
    """What a document preview's task makes: the thumbnails the documents block shows."""
    return sorted({f for spec in PREVIEW_SPECS for f in spec.filter_specs})
