"""Exporting every product with its media originals as a bundle (format section 5).

    export_bundle(out_path) -> ExportReport

Products are sorted by SKU; each library file is written once, under `images/` or
`documents/` with its base name (a clash gets `-2`, `-3`, …); a `media` entry gives every
file's library details; references carry a per-use alt or title only where it differs from
the library's. Files are copied byte for byte from storage, one at a time. A reference to
an image or document deleted from the library is left out with a warning naming the product
and the reference (a block with nothing left goes too), so the bundle still imports.

Blocks are written by their converter (block_converters.py): a block type with no converter
stops the export (ExportFailed names the product and the block) before anything is written.
"""

import json
import posixpath
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.media.crops import as_rect, focal_point_value, library_focal_point
from cms.media.metadata import read_metadata
from products.catalogue.block_converters import UnknownBlockType, converter, given_alt
from products.catalogue.fields import V11_MEDIA_KEYS
from products.catalogue.manifest import FORMAT, FORMAT_1_1
from products.catalogue.problems import Problems
from products.catalogue.state import plain
from products.models import ProductPage


class ExportFailed(Exception):
    """The site holds something the format cannot express; nothing was written."""


@dataclass
class ExportReport:
    products: int = 0
    images: int = 0
    documents: int = 0
    warnings: Problems = field(default_factory=Problems)


class MediaFiles:
    """Library items named by the export, each with its path in the bundle."""

    def __init__(self):
        self.paths = {}  # (kind, pk) -> bundle path
        self.items = {}  # bundle path -> library item
        self.used = set()
        self.newer = False  # a per-use focal point was written: the manifest is format 1.1

    def path(self, kind, item):
        key = (kind, item.pk)
        if key not in self.paths:
            folder = "images" if kind == "image" else "documents"
            stem, extension = posixpath.splitext(posixpath.basename(item.file.name))
            path, n = f"{folder}/{stem}{extension}", 1
            while path in self.used:
                n += 1
                path = f"{folder}/{stem}-{n}{extension}"
            self.used.add(path)
            self.paths[key] = path
            self.items[path] = (kind, item)
        return self.paths[key]


def export_bundle(out_path):
    """Write every product and its media to `out_path` (a folder, or a .zip)."""
    out_path = Path(out_path)
    media = MediaFiles()
    library = Library(get_image_model().objects.in_bulk(), get_document_model().objects.in_bulk())
    products = []
    pages = (
        ProductPage.objects.select_related("category", "hero_image")
        .prefetch_related("tagged_items__tag", "related_products__product")
        .order_by("sku")
    )
    for page in pages:
        hero_id = page.hero_image_id
        revision = page.get_latest_revision() if page.has_unpublished_changes else None
        if revision is not None:
            # A deleted hero reads as none from the revision: remember which one it was.
            hero_id = revision.content.get("hero_image")
            page = revision.as_object()
        if hero_id is not None and hero_id not in library.images:
            library.missing(page, "hero_image", "image", hero_id)
        products.append(export_product(page, media, library))
    details = media_details(media)
    newer = media.newer or any(V11_MEDIA_KEYS & set(entry) for entry in details.values())
    manifest = {"format": FORMAT_1_1 if newer else FORMAT, "products": products, "media": details}
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode() + b"\n"
    write_bundle(out_path, data, media)
    kinds = [kind for kind, _ in media.items.values()]
    return ExportReport(
        len(products), kinds.count("image"), kinds.count("document"), library.warnings
    )


class Library:
    """The library's images and documents by id, and the references to deleted ones."""

    def __init__(self, images, documents):
        self.images, self.documents = images, documents
        self.warnings = Problems()

    def missing(self, page, where, kind, item_id):
        self.warnings.add(
            f"product {page.sku}, {where}",
            f"{kind} {item_id} is no longer in the library: left out of the export",
        )


def image_ref(media, image, alt="", decorative=False, caption="", focal_point=None):
    """A reference: the bare path unless an alt, caption or focal point must be given. A
    use's focal point is written only where it differs from the library image's."""
    ref = {"file": media.path("image", image)}
    alt = given_alt(alt, decorative, image.description)
    if alt is not None:
        ref["alt"] = alt
    if caption:
        ref["caption"] = caption
    rect = as_rect(focal_point)
    if rect is not None and rect != library_focal_point(image):
        ref["focal_point"] = focal_point_value(rect)
        media.newer = True
    return ref if len(ref) > 1 else ref["file"]


class References:
    """Stored uses of library items on one page, as the manifest's references (the `refs`
    that block converters export with)."""

    def __init__(self, media, library, page):
        self.media, self.library, self.page = media, library, page

    def image(self, use, where, caption=""):
        image = present(self.library, "image", use["image"], self.page, where)
        if image is None:
            return None
        return image_ref(
            self.media,
            image,
            use["alt_text"],
            use["decorative"],
            caption,
            use.get("focal_point"),
        )

    def document(self, link, where):
        document = present(self.library, "document", link["document"], self.page, where)
        if document is None:
            return None
        path = self.media.path("document", document)
        title = link.get("title")
        return {"file": path, "title": title} if title and title != document.title else path


def export_product(page, media, library):
    product = {"sku": page.sku, "title": page.title, "slug": page.slug}
    if page.category:
        product["category"] = page.category.name
    if page.summary:
        product["summary"] = page.summary
    if page.price is not None:
        product["price"] = f"{page.price:.2f}"
    tags = sorted(item.tag.name for item in page.tagged_items.all())
    if tags:
        product["tags"] = tags
    hero = library.images.get(page.hero_image_id)
    if hero:
        product["hero_image"] = image_ref(
            media, hero, alt=page.hero_alt, focal_point=page.hero_focal_point
        )
    refs = References(media, library, page)
    body = []
    for index, block in enumerate(plain(page.body.get_prep_value())):
        exported = export_block(block, refs, page, f"body[{index}]")
        if exported is not None:
            body.append(exported)
    if body:
        product["body"] = body
    related = [link.product.sku for link in page.related_products.all()]
    if related:
        product["related"] = related
    if not page.live:
        product["live"] = False
    return product


def export_block(block, refs, page, where):
    """The block as the manifest writes it, or None when every item it used was deleted."""
    try:
        block_converter = converter(block["type"])
    except UnknownBlockType as error:
        raise ExportFailed(f"product {page.sku}, {where}.type: {error}") from error
    value = block_converter.to_manifest(block["value"], refs, where)
    return None if value is None else {"type": block["type"], "value": value}


def present(library, kind, item_id, page, where):
    """The library item, or None with a warning when it has been deleted."""
    items = library.images if kind == "image" else library.documents
    item = items.get(item_id)
    if item is None:
        library.missing(page, where, kind, item_id)
    return item


def media_details(media):
    details = {}
    for path in sorted(media.items):
        kind, item = media.items[path]
        entry = {"title": item.title}
        if kind == "image":
            if item.description:
                entry["alt"] = item.description
            if item.credit or credit_from_file(item):
                # Empty only where the file's XMP/IPTC/EXIF names a credit the library left
                # out: an import would fill it in (cms/media/metadata.py) and break the round
                # trip. Elsewhere an empty credit is left out, as the format asks.
                entry["credit"] = item.credit
            entry.update(image_rights(item))
        details[path] = entry
    return details


def image_rights(image):
    """The format 1.1 library details of an image that has them."""
    entry = {}
    rect = library_focal_point(image)
    if rect is not None:
        entry["focal_point"] = focal_point_value(rect)
    if image.licence:
        entry["licence"] = image.licence
    if image.source:
        entry["source"] = image.source
    if image.expires:
        entry["expires"] = image.expires.isoformat()
    return entry


def credit_from_file(image):
    """The credit an import would read from the image file's metadata."""
    with image.open_file() as file:
        return read_metadata(file, image.file.name).credit()


def write_bundle(out_path, manifest, media):
    if out_path.suffix.lower() == ".zip":
        with zipfile.ZipFile(out_path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("catalogue.json", manifest)
            for path, (_, item) in sorted(media.items.items()):
                with item.file.open("rb") as source, archive.open(path, "w") as target:
                    shutil.copyfileobj(source, target, 1024 * 1024)
        return
    out_path.mkdir(parents=True, exist_ok=True)
    (out_path / "catalogue.json").write_bytes(manifest)
    for path, (_, item) in sorted(media.items.items()):
        target = out_path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        with item.file.open("rb") as source, target.open("wb") as file:
            shutil.copyfileobj(source, file, 1024 * 1024)
