"""An image's dominant colour and tiny blurred preview, shown until its rendition loads.

Both come from a picture the rendition set has already decoded (cms/media/rendition_sets.py
passes the smallest level of its pyramid), so they cost no decode of their own: a resize of
a few hundred pixels, a quantisation and a WebP encode of about 200 bytes. Images made
before them get theirs from `manage.py warm_renditions` (one small draft decode each).

The preview is a WebP data URI (the site's CSP allows `data:` images, cms/settings/base.py)
at most PREVIEW_SIDE pixels on its longer side; the browser scales it up, and the stylesheet
blurs it. Pictures with transparency get a colour but no preview: a blurred preview under a
cut-out would show around it once the rendition has loaded.
"""

import base64
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageFilter

# Longer side of the preview: enough for the broad shapes, few enough bytes for every page.
PREVIEW_SIDE = 16
PREVIEW_QUALITY = 50
# The dominant colour is the commonest of this many colours of a small copy.
COLOURS = 6
SAMPLE_SIDE = 48


@dataclass(frozen=True)
class Placeholder:
    colour: str  # "#rrggbb"
    preview: str  # a data: URI, or "" for a picture with transparency


def has_transparency(picture):
    return picture.mode == "RGBA" and picture.getchannel("A").getextrema()[0] < 255


def small_copy(picture, side):
    """`picture` scaled down to `side` pixels on its longer side (never up)."""
    copy = picture.copy()
    copy.thumbnail((side, side), Image.Resampling.BOX)
    return copy


def dominant_colour(picture):
    """The commonest colour of `picture` (RGB or RGBA, cleaned), as "#rrggbb"."""
    sample = small_copy(picture, SAMPLE_SIDE)
    if sample.mode == "RGBA":
        # Only pixels someone sees count: the opaque ones over white.
        sample = Image.alpha_composite(Image.new("RGBA", sample.size, "white"), sample)
    quantised = sample.convert("RGB").quantize(COLOURS, method=Image.Quantize.MEDIANCUT)
    _, index = max(quantised.getcolors())
    red, green, blue = quantised.getpalette()[index * 3 : index * 3 + 3]
    return f"#{red:02x}{green:02x}{blue:02x}"


def preview_uri(picture):
    """A WebP data URI of `picture` at most PREVIEW_SIDE pixels across, slightly blurred."""
    preview = small_copy(picture.convert("RGB"), PREVIEW_SIDE)
    preview = preview.filter(ImageFilter.GaussianBlur(0.6))
    buffer = BytesIO()
    preview.save(buffer, "WEBP", quality=PREVIEW_QUALITY, method=6)
    return "data:image/webp;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def make_placeholder(picture):
    """The Placeholder of a cleaned picture (rendering.clean_picture: upright sRGB RGB/RGBA),
    at any size: the smaller, the cheaper."""
    preview = "" if has_transparency(picture) else preview_uri(picture)
    return Placeholder(colour=dominant_colour(picture), preview=preview)


def save_placeholder(image, placeholder, perceptual_hash=None):
    """Store `placeholder` on `image` with one UPDATE: no save() signals, no page refresh.
    The image's perceptual hash (cms/media/duplicates.py), made from the same decode, is
    stored by the same UPDATE when given."""
    fields = {"dominant_colour": placeholder.colour, "placeholder": placeholder.preview}
    if perceptual_hash is not None:
        fields["perceptual_hash"] = perceptual_hash
    for name, value in fields.items():
        setattr(image, name, value)
    type(image).objects.filter(pk=image.pk).update(**fields)
