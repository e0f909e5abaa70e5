"""Credit, title and alt-text suggestions from the metadata a photo carries: XMP, IPTC and
EXIF (creator, copyright, caption, headline).

Read with Pillow without decoding a pixel: XMP through `getxmp()` (defusedxml: no entities,
no DTD), IPTC through `IptcImagePlugin.getiptcinfo()`, EXIF through `getexif()`. The file is
someone else's: anything it holds that cannot be read (a broken segment, an XML bomb, a deep
nesting, bytes in no known encoding) gives no suggestion, is logged, and never fails the
upload or import that asked. Values are cleaned (control characters out, spaces collapsed)
and cut to the fields' 255 characters.

Uploads in the admin (cms/media/forms.py) fill credit, title and alt text; imports only
credit (docs/media-pipeline.md says why). Neither overwrites what someone gave.
"""

import io
import logging
import os
import re
import warnings
from dataclasses import dataclass

from PIL import ExifTags, Image, IptcImagePlugin

logger = logging.getLogger(__name__)

MAX_LENGTH = 255  # credit, title and description (alt text) are all 255 characters
MAX_DEPTH = 12  # how deep the XMP tree is searched for a property

# IPTC IIM application record (2) datasets.
IPTC_BYLINE, IPTC_HEADLINE, IPTC_COPYRIGHT, IPTC_CAPTION = (2, 80), (2, 105), (2, 116), (2, 120)


@dataclass(frozen=True)
class ImageMetadata:
    creator: str = ""
    copyright: str = ""
    caption: str = ""
    headline: str = ""

    def credit(self):
        """The credit line, e.g. “Photo: Ana Lopes, © Studio North”; "" when neither is known."""
        copyright_ = self.copyright
        if copyright_ and not re.match(r"(©|\(c\)|copyright)", copyright_, re.IGNORECASE):
            copyright_ = f"© {copyright_}"
        if self.creator and copyright_ and self.creator not in copyright_:
            return clean(f"Photo: {self.creator}, {copyright_}")
        if self.creator and not copyright_:
            return clean(f"Photo: {self.creator}")
        return clean(f"Photo: {copyright_}") if copyright_ else ""


def clean(value):
    """Text fit for a field: printable, on one line, at most MAX_LENGTH characters."""
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            value = value.decode("latin-1")  # IPTC's old default; every byte maps
    if not isinstance(value, str):
        return ""
    value = "".join(ch if ch.isprintable() else " " for ch in value)
    return " ".join(value.split())[:MAX_LENGTH].strip()


def read_metadata(source, name=""):
    """The creator, copyright, caption and headline a file (bytes or a file object) carries,
    XMP first, then IPTC, then EXIF; empty where none or where the file cannot be read."""
    file = io.BytesIO(source) if isinstance(source, bytes) else source
    position = file.tell() if hasattr(file, "tell") else None
    try:
        # No pixel is decoded: the size limits of validation do not matter here.
        with warnings.catch_warnings(), Image.open(file) as image:
            warnings.simplefilter("ignore")
            found = [safely(reader, image, name) for reader in (from_xmp, from_iptc, from_exif)]
    except Exception as error:  # noqa: BLE001 - a file we cannot read gives no suggestion
        logger.warning("No metadata read from %s: %s", name or "an image", error)
        return ImageMetadata()
    finally:
        if position is not None:
            file.seek(position)
    fields = ImageMetadata.__dataclass_fields__
    return ImageMetadata(
        **{key: next((f[key] for f in found if f.get(key)), "") for key in fields}
    )


def safely(reader, image, name):
    try:
        return {key: clean(value) for key, value in reader(image).items()}
    except Exception as error:  # noqa: BLE001 - one unreadable kind does not spoil the others
        logger.warning("Unreadable %s in %s: %s", reader.__name__[5:], name or "an image", error)
        return {}


def from_xmp(image):
    xmp = image.getxmp() if hasattr(image, "getxmp") else {}
    descriptions = list(find_all(xmp, "Description", 0))
    return {
        "creator": first_text(descriptions, "creator"),
        "copyright": first_text(descriptions, "rights"),
        "caption": first_text(descriptions, "description"),
        "headline": first_text(descriptions, "Headline") or first_text(descriptions, "title"),
    }


def find_all(node, key, depth):
    """Every value under `key` anywhere in the parsed XMP (dicts and lists)."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield from value if isinstance(value, list) else [value]
            else:
                yield from find_all(value, key, depth + 1)
    elif isinstance(node, list):
        for value in node:
            yield from find_all(value, key, depth + 1)


def first_text(descriptions, key):
    for description in descriptions:
        if isinstance(description, dict) and key in description:
            text = text_of(description[key], 0)
            if text:
                return text
    return ""


def text_of(value, depth):
    """The first text of an XMP value: a plain string, a `Seq`/`Bag`/`Alt` of `li` items,
    a language alternative ({"lang": ..., "text": ...}; x-default first)."""
    if depth > MAX_DEPTH:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        defaults = [v for v in value if isinstance(v, dict) and v.get("lang") == "x-default"]
        return next((t for v in defaults + value if (t := text_of(v, depth + 1))), "")
    if isinstance(value, dict):
        for key in ("text", "li", "Seq", "Bag", "Alt"):
            if key in value:
                return text_of(value[key], depth + 1)
    return ""


def from_iptc(image):
    info = IptcImagePlugin.getiptcinfo(image) or {}

    def value(key):
        found = info.get(key)
        return found[0] if isinstance(found, list) and found else found

    return {
        "creator": value(IPTC_BYLINE),
        "copyright": value(IPTC_COPYRIGHT),
        "caption": value(IPTC_CAPTION),
        "headline": value(IPTC_HEADLINE),
    }


def from_exif(image):
    exif = image.getexif()
    return {
        "creator": exif.get(ExifTags.Base.Artist),
        "copyright": exif.get(ExifTags.Base.Copyright),
        "caption": exif.get(ExifTags.Base.ImageDescription),
    }


def default_titles(filename):
    """The titles an upload is given when nobody typed one: the file's name, with and without
    its extension (Wagtail's upload pages write the latter)."""
    base = os.path.basename(filename or "")
    return {"", base, os.path.splitext(base)[0]}


def prefill(image, metadata, *, titles=(), alt=True):
    """Fill the image's empty credit (and, with `alt`, its empty alt text, and its title when
    it is one of `titles`, the defaults nobody typed) from `metadata`. Returns the names of
    the fields it filled."""
    filled = []
    suggestions = [("credit", metadata.credit())]
    if alt:
        suggestions.append(("description", metadata.caption))
    for field, value in suggestions:
        if value and not getattr(image, field):
            setattr(image, field, value)
            filled.append(field)
    if metadata.headline and image.title in titles:
        image.title = metadata.headline
        filled.append("title")
    return filled
