"""How renditions are made clean: upright, in sRGB, with no metadata.

Wagtail copies the original's EXIF (GPS position included) and ICC profile into renditions
and keeps CMYK as CMYK. CustomImage.generate_rendition_file swaps Wagtail's Filter for this
subclass (Wagtail's documented extension point), which cleans the picture before any
operation runs. Animated originals give still renditions of their first frame: a rendition
must be cheap to make and small to send, and the original stays available.
"""

import io
from contextlib import contextmanager

from PIL import Image, ImageCms, ImageOps
from wagtail.images.models import Filter
from willow.plugins.pillow import PillowImage

SRGB = ImageCms.createProfile("sRGB")


def clean_picture(picture):
    """An upright RGB or RGBA copy of `picture` in sRGB, without EXIF, ICC or other metadata."""
    picture = ImageOps.exif_transpose(picture)  # also drops the orientation tag
    has_alpha = picture.mode in ("RGBA", "LA", "PA") or (
        picture.mode == "P" and "transparency" in picture.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    icc_profile = picture.info.get("icc_profile")
    if icc_profile and picture.mode in ("RGB", "RGBA", "CMYK", "L"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            picture = ImageCms.profileToProfile(picture, source, SRGB, outputMode=mode)
        except (ImageCms.PyCMSError, OSError):
            picture = picture.convert(mode)
    elif picture.mode.startswith("I"):
        # 16- and 32-bit greyscale: scale to 8 bits (a plain convert would clip to white).
        picture = picture.convert("I").point(lambda value: value * (1 / 256)).convert("L")
        picture = picture.convert(mode)
    elif picture.mode != mode:
        picture = picture.convert(mode)
    clean = Image.new(picture.mode, picture.size)
    clean.paste(picture)  # a new image carries none of the original's info dict
    return clean


class CleanFilter(Filter):
    @contextmanager
    def get_willow_image(self, image, source=None):
        with super().get_willow_image(image, source) as willow_image:
            original_format = willow_image.format_name
            pillow = PillowImage.open(willow_image).image
            cleaned = PillowImage(clean_picture(pillow))
            # Filter.run picks default output formats from the original's format.
            cleaned.format_name = original_format
            yield cleaned
