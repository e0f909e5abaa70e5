"""Adding media to the library from code (demo content, imports).

The models' `save()` validates the file and sets `file_size` and `file_hash`
(cms/media/models.py); these functions add what a library needs on top: an item whose
content is already there is reused, not stored a second time.
"""

import hashlib

from django.core.files.base import ContentFile
from wagtail.documents import get_document_model
from wagtail.images import get_image_model

from cms.media.crops import wagtail_fields
from cms.media.validation import CheckedContentFile


def content_hash(content: bytes) -> str:
    """SHA-1 of a file's bytes: the value Wagtail stores in `file_hash`."""
    return hashlib.sha1(content).hexdigest()  # noqa: S324 - a content key, as in Wagtail


def items_with_content(model, hashes, chunk=500):
    """Content hash -> the library item (image or document `model`) holding it, the first one
    added, for those of `hashes` in the library: one query per `chunk` hashes instead of one
    per file."""
    found = {}
    hashes = sorted(set(hashes))
    for start in range(0, len(hashes), chunk):
        items = model.objects.filter(file_hash__in=hashes[start : start + chunk]).order_by("pk")
        for item in items:
            found.setdefault(item.file_hash, item)
    return found


def file_for(content, filename, kind, checked):
    """The file to save: marked as checked (not decoded again on save) when the caller has
    already run the upload checks on these very bytes (an import's plan)."""
    if checked:
        return CheckedContentFile(content, name=filename, checked_as=kind)
    return ContentFile(content, name=filename)


def add_image(
    content,
    filename,
    *,
    title,
    collection,
    description="",
    credit="",
    rights=None,
    user=None,
    checked=False,
    looked_up=False,
):
    """Return `(image, created)`: the library image with this content, added if new.
    `rights`: catalogue format 1.1 details of a new image (`focal_point`, a top-left
    rectangle, `licence`, `source`, `expires`), each optional.
    Raises ValidationError when the file fails the upload checks (skipped when `checked`:
    the caller ran `validate_image` on these bytes). `looked_up`: the caller found no item
    with this content (items_with_content) in this transaction; it is not looked up again."""
    Image = get_image_model()
    existing = None if looked_up else Image.objects.filter(file_hash=content_hash(content)).first()
    if existing:
        return existing, False
    image = Image(
        title=title,
        description=description,
        credit=credit,
        collection=collection,
        uploaded_by_user=user,
        file=file_for(content, filename, "image", checked),
        **image_rights(rights or {}),
    )
    image.save()
    return image, True


def image_rights(rights):
    """Model fields for the format 1.1 details of a new image."""
    fields = {
        "licence": rights.get("licence") or "",
        "source": rights.get("source") or "",
        "expires": rights.get("expires"),
    }
    if rights.get("focal_point"):
        fields.update(wagtail_fields(rights["focal_point"]))
    return fields


def add_document(
    content, filename, *, title, collection, user=None, checked=False, looked_up=False
):
    """Return `(document, created)`: the library document with this content, added if new.
    Raises ValidationError when the file fails the upload checks (skipped when `checked`:
    the caller ran `validate_document` on these bytes). `looked_up`: as for add_image."""
    Document = get_document_model()
    existing = (
        None if looked_up else Document.objects.filter(file_hash=content_hash(content)).first()
    )
    if existing:
        return existing, False
    document = Document(
        title=title,
        collection=collection,
        uploaded_by_user=user,
        file=file_for(content, filename, "document", checked),
    )
    document.save()
    return document, True
