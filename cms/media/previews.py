"""A document's preview, page count and text: made after its file is saved, in the background.

The task (`update_document_preview`, cms/media/tasks.py) is queued on commit by every save of
a new file: an admin upload, a file replaced, an import (cms/media/library.py). For a PDF it
renders the first page and reads the text in a limited child process (cms/media/pdf_render.py)
and stores:

- the first page as a library image flagged `document_preview`, so renditions (made ahead of
  time by the image's own task, the document thumbnail specs only), S3, `media_audit` and
  file deletion work as for every image; editors never see it in the image library;
- `page_count`, and the text in `DocumentText`;
- for a PDF that gives no preview, `preview_error`: the media health report lists it.

A file replaced again while the task ran wins: the result is for a file that is gone, and is
dropped. The document's previous preview image is deleted, its files retired for the grace
period of replaced images (cms/media/replaced.py) so that cached pages keep showing them; the
live pages that list the document are refreshed in the edge cache once the new thumbnails
exist. Products that list the document (Wagtail's reference index) are indexed again, so the
site search finds them by the words of the new text.
"""

import logging
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.db.models.signals import post_delete
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import Collection, ReferenceIndex

from cms import index_batch
from cms.media import transaction as media_transaction
from cms.media.pdf_render import PDFRefused, RenderedPDF, render_pdf
from cms.media.replaced import refresh_pages_using, retire_files, retire_renditions
from cms.media.tasks import make_renditions, update_document_preview

logger = logging.getLogger(__name__)


class FileChanged(Exception):
    """The document's file changed (or it was deleted) while its preview was being made."""


def update_preview(document_id):
    """Bring the preview, page count and text of a document up to date with its file."""
    document = get_document_model().objects.filter(pk=document_id).first()
    if document is None or (document.file_hash and document.previewed_hash == document.file_hash):
        return
    rendered, error = None, ""
    if document.is_pdf:
        try:
            with document.open_file() as file:
                content = file.read()
            rendered = render_pdf(content)
        except PDFRefused as refused:
            error = f"No preview: {refused}"
        except OSError as read_error:
            error = f"No preview: the file cannot be read ({read_error})"
        if error:
            logger.warning("Document %s (%s): %s", document.pk, document.file.name, error)
    try:
        try:
            preview = store(document, rendered, error)
        except ValidationError as refused:
            # The rendered page failed the image upload check: no preview, and a reason.
            reason = f"No preview: the rendered page was refused ({'; '.join(refused.messages)})"
            preview = store(document, None, reason)
    except FileChanged:
        return  # the task queued by the newer file does the work
    if preview is not None:
        # Its thumbnails before the pages showing it are refreshed (its own task, queued by
        # its save, then finds them made).
        make_renditions(preview)
    transaction.on_commit(lambda: refresh_pages_using(document))
    transaction.on_commit(lambda: reindex_users(document))


def documents_needing_preview():
    """Documents whose preview, page count and text were not made from their current file
    (uploaded before previews existed, or their task has not run yet)."""
    return get_document_model().objects.exclude(previewed_hash=F("file_hash"))


def queue_missing_previews():
    """Queue the preview task for every document that needs one, once the transaction
    commits; return how many were queued."""
    pks = list(documents_needing_preview().order_by("pk").values_list("pk", flat=True))
    transaction.on_commit(lambda: [update_document_preview.enqueue(pk) for pk in pks])
    return len(pks)


def preview_image(document, rendered: RenderedPDF):
    """An unsaved library image holding the rendered first page."""
    stem = PurePosixPath(document.file.name).stem
    return get_image_model()(
        title=f"Preview of {document.title}"[:255],
        description="",
        collection=Collection.get_first_root_node(),
        document_preview=True,
        file=ContentFile(rendered.preview, name=f"{stem}-preview.jpg"),
    )


def store(document, rendered, error):
    """Save the result for the file `document` was loaded with, replacing the previous one;
    return the new preview image (or None)."""
    Document = get_document_model()
    DocumentText = Document.text.related.related_model
    with media_transaction.atomic():
        current = (
            Document.objects.select_for_update()
            .filter(pk=document.pk, file_hash=document.file_hash)
            .values_list("preview_id", flat=True)
        )
        if not current:
            raise FileChanged(document.pk)
        (old_preview_id,) = current
        image = None
        if rendered is not None:
            image = preview_image(document, rendered)
            image.save()
        Document.objects.filter(pk=document.pk).update(
            preview=image,
            page_count=rendered.page_count if rendered else None,
            preview_error=error[:255],
            previewed_hash=document.file_hash,
        )
        if rendered is not None and rendered.text:
            DocumentText.objects.update_or_create(
                document_id=document.pk, defaults={"text": rendered.text}
            )
        else:
            DocumentText.objects.filter(document_id=document.pk).delete()
        if old_preview_id is not None:
            retire_previews([old_preview_id])
    return image


def retire_previews(image_ids):
    """Delete the rows of replaced preview images, their files (original and thumbnails)
    kept for MEDIA_REPLACED_GRACE_SECONDS, as for a replaced image: pages still cached show
    them until refreshed; then `media_audit --delete` deletes them (cms/media/replaced.py)."""
    Image = get_image_model()
    for image in Image.objects.filter(pk__in=image_ids, document_preview=True):
        retire_files([image.file.name])
        retire_renditions(image.renditions.all())
        ReferenceIndex.remove_for_object(image)
        rows = Image.objects.filter(pk=image.pk)
        # Not `.delete()`: Wagtail's post_delete handler would delete the file at once.
        rows._raw_delete(rows.db)


def delete_previews(image_ids):
    """Delete preview images (their files and renditions go on commit, as for any image)."""
    for image in get_image_model().objects.filter(pk__in=image_ids, document_preview=True):
        image.delete()


def reindex_users(document):
    """Index again whatever uses `document` (products listing it, found through Wagtail's
    reference index), and the document itself: the text they are found by has changed."""
    by_model = {}
    for reference in ReferenceIndex.get_references_to(document).select_related("content_type"):
        model = reference.content_type.model_class()
        if model is not None:
            by_model.setdefault(model._meta.label_lower, set()).add(reference.object_id)
    by_model.setdefault(document._meta.label_lower, set()).add(document.pk)
    index_batch.queue_updates(by_model)


def delete_preview_with_document(sender, instance, **kwargs):
    """post_delete of a document: its preview image goes too (in the same transaction)."""
    if instance.preview_id is not None:
        delete_previews([instance.preview_id])


def register():
    post_delete.connect(
        delete_preview_with_document,
        sender=get_document_model(),
        dispatch_uid="media-delete-document-preview",
    )
