"""Near-duplicate images: a perceptual hash per image, and the images a few bits apart.

Wagtail catches only byte-identical duplicates (`file_hash`, reused automatically by uploads
and imports). A re-encoded, resized or slightly edited copy of a photo has other bytes but
the same picture: its perceptual hash (imagehash's DCT hash, 64 bits) differs from the
original's in a few bits, where two different photos differ in about half of them.

The hash is made with the renditions, from the rendition set's own decode
(cms/media/rendition_sets.py), and for an admin upload or an import at once, from a small
draft decode (`hash_of_file`), so the editor is told before the image is used.
`MEDIA_DUPLICATE_DISTANCE` is the largest Hamming distance still called a near-duplicate
(docs/media-pipeline.md has the measurements behind the default).

Document previews are never candidates: they belong to their documents.
"""

from dataclasses import dataclass
from io import BytesIO

import imagehash
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.models import Page, ReferenceIndex

from cms.media.rendering import clean_picture

# A JPEG is decoded for its hash alone at the smallest DCT scale keeping this many pixels a
# side: the hash is made from a 32 x 32 copy.
HASH_SOURCE_SIDE = 64


def perceptual_hash(picture):
    """The 64-bit perceptual hash of a cleaned picture (any size), as 16 hex digits."""
    return str(imagehash.phash(picture, hash_size=8))


def distance(first, second):
    """Hamming distance between two hashes (16 hex digits each): the bits that differ."""
    return (int(first, 16) ^ int(second, 16)).bit_count()


def hash_of_file(data):
    """The perceptual hash of an image file's bytes, from a small draft decode."""
    picture = PILImage.open(BytesIO(data))
    picture.draft(None, (HASH_SOURCE_SIDE, HASH_SOURCE_SIDE))
    picture.load()
    return perceptual_hash(clean_picture(picture))


def save_perceptual_hash(image, value):
    """Store `value` on `image` with one UPDATE: no save() signals, no renditions queued."""
    image.perceptual_hash = value
    type(image).objects.filter(pk=image.pk).update(perceptual_hash=value)


def hash_image(image):
    """Compute and store the hash of a saved image from its file, if it has none yet."""
    if not image.perceptual_hash:
        with image.open_file() as file:
            save_perceptual_hash(image, hash_of_file(file.read()))
    return image.perceptual_hash


class LibraryHashes:
    """The hashes of every library image (document previews left out), read in one query,
    for comparing many new images with the library (an import) or one (an upload)."""

    def __init__(self, exclude=()):
        rows = (
            get_image_model()
            .objects.filter(document_preview=False)
            .exclude(perceptual_hash="")
            .exclude(pk__in=list(exclude))
            .values_list("pk", "perceptual_hash")
        )
        self.hashes = [(pk, int(value, 16)) for pk, value in rows]

    def near(self, value, limit=None):
        """Ids of the library images within `limit` bits (MEDIA_DUPLICATE_DISTANCE) of the
        hash `value`, nearest first."""
        limit = settings.MEDIA_DUPLICATE_DISTANCE if limit is None else limit
        bits = int(value, 16)
        found = [((bits ^ other).bit_count(), pk) for pk, other in self.hashes]
        return [pk for gap, pk in sorted(found) if gap <= limit]


@dataclass(frozen=True)
class NearDuplicate:
    """A library image that looks like another one, and how many products use it."""

    image: object
    products: int

    def describe(self):
        return describe(self.image, self.products)


def describe(image, products):
    """#12 “Oak chair”, used on 4 products"""
    uses = f"{products} product" + ("" if products == 1 else "s")
    return f"#{image.pk} “{image.title}”, used on {uses}"


def product_counts(image_ids):
    """{image id: how many product pages use it}, from Wagtail's reference index."""
    from products.models import ProductPage

    rows = ReferenceIndex.objects.filter(
        to_content_type=ContentType.objects.get_for_model(get_image_model()),
        to_object_id__in=[str(pk) for pk in image_ids],
        base_content_type=ContentType.objects.get_for_model(Page),
        content_type=ContentType.objects.get_for_model(ProductPage),
    ).values_list("to_object_id", "object_id")
    pages = {}
    for image_id, page_id in rows:
        pages.setdefault(int(image_id), set()).add(page_id)
    return {pk: len(pages.get(pk, ())) for pk in image_ids}


def near_duplicates(image, library=None, queryset=None):
    """The library images that look like `image` (its perceptual hash within
    MEDIA_DUPLICATE_DISTANCE), nearest first, as NearDuplicates. `queryset` narrows the
    candidates (e.g. to those a user may choose). An image without a hash has none."""
    if not image.perceptual_hash or image.document_preview:
        return []
    library = library or LibraryHashes(exclude=[image.pk])
    ids = [pk for pk in library.near(image.perceptual_hash) if pk != image.pk]
    if not ids:
        return []
    queryset = get_image_model().objects.all() if queryset is None else queryset
    found = queryset.filter(pk__in=ids, document_preview=False).in_bulk()
    counts = product_counts(list(found))
    return [NearDuplicate(found[pk], counts[pk]) for pk in ids if pk in found]


def near_duplicate_groups():
    """Groups of library images that look alike: each a list of two or more images, in id
    order (an image near one that is near another joins their group). For the media health
    report. Two hashes within `limit` bits agree exactly on at least one of `limit + 1`
    bands of their bits (pigeonhole), so only images sharing a band are compared: not every
    pair of a large library."""
    library = LibraryHashes()
    limit = settings.MEDIA_DUPLICATE_DISTANCE
    parent = {pk: pk for pk, _ in library.hashes}

    def root(pk):
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    bands = limit + 1
    edges = [64 * band // bands for band in range(bands + 1)]
    buckets = {}
    for pk, bits in library.hashes:
        for band in range(bands):
            key = (band, (bits >> edges[band]) & ((1 << (edges[band + 1] - edges[band])) - 1))
            buckets.setdefault(key, []).append((pk, bits))
    for members in buckets.values():
        for index, (pk, bits) in enumerate(members):
            for other_pk, other in members[index + 1 :]:
                if (bits ^ other).bit_count() <= limit:
                    parent[root(other_pk)] = root(pk)
    groups = {}
    for pk in parent:
        groups.setdefault(root(pk), []).append(pk)
    groups = [sorted(ids) for ids in groups.values() if len(ids) > 1]
    images = get_image_model().objects.in_bulk([pk for ids in groups for pk in ids])
    return sorted(([images[pk] for pk in ids] for ids in groups), key=lambda g: g[0].pk)


class ImportCheck:
    """Near-duplicates among the images new to the library in one import: each file compared
    as it is read, then the library images they look like looked up for all of them at once
    (titles and product counts: two queries per import, not per file)."""

    def __init__(self):
        self.library = None
        self.found = []  # (where, path, library image id)

    def check(self, where, path, data):
        """Compare a new image file's bytes with the library. Never raises: a file Pillow
        cannot draft has been reported by the upload checks already."""
        try:
            value = hash_of_file(data)
        except Exception:  # noqa: BLE001
            return
        self.library = self.library or LibraryHashes()
        ids = self.library.near(value)
        if ids:
            self.found.append((where, path, ids[0]))

    def warnings(self):
        """(where, message) of each new image that looks like a library image."""
        if not self.found:
            return []
        ids = sorted({pk for _, _, pk in self.found})
        images = get_image_model().objects.in_bulk(ids)
        counts = product_counts(ids)
        return [
            (where, f"{path} looks like library image {describe(images[pk], counts[pk])}")
            for where, path, pk in self.found
            if pk in images
        ]
