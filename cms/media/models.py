"""The media library's models: images (with credit), their renditions, and documents.

They replace Wagtail's own models from the first migration (WAGTAILIMAGES_IMAGE_MODEL,
WAGTAILDOCS_DOCUMENT_MODEL), so fields can be added later without moving data between tables.
Files land in folders by kind: original_images/, images/ (renditions), documents/.

Every save of a new file runs the same checks as an admin upload (cms/media/validation.py)
and records `file_size` and `file_hash`, so no way in, code included, can skip them.
"""

import warnings

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import models, transaction
from PIL import ExifTags, Image
from wagtail.documents.models import AbstractDocument, Document
from wagtail.images.models import (
    AbstractImage,
    AbstractRendition,
    WagtailImageField,
    WagtailImageFieldFile,
    get_upload_to,
)
from wagtail.images.models import Image as WagtailImage
from wagtail.search import index

from cms.media import transaction as media_transaction
from cms.media.rendering import CleanFilter
from cms.media.tasks import generate_renditions, update_document_preview
from cms.media.validation import clean_filename, validate_document, validate_image

FOCAL_POINT_FIELDS = ("x", "y", "width", "height")

# EXIF orientations that turn the picture a quarter: its displayed width is the stored height.
QUARTER_TURNS = {5, 6, 7, 8}


class OrientedImageFieldFile(WagtailImageFieldFile):
    def get_image_dimensions(self):
        """Width and height as displayed, after the EXIF orientation is applied."""
        close = self.closed
        try:
            self.open()
            self.seek(0)
            # Pixel limits are enforced by validation on save, with a clear message.
            with warnings.catch_warnings(), Image.open(self) as image:
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                width, height = image.size
                orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
        except Exception:  # noqa: BLE001 - a broken file is rejected by validation on save
            return None, None
        finally:
            if close:
                self.close()
            else:
                self.seek(0)
        return (height, width) if orientation in QUARTER_TURNS else (width, height)


class OrientedImageField(WagtailImageField):
    attr_class = OrientedImageFieldFile


# What a storage raises when it cannot take a file: the local disk (OSError) or S3 (boto).
STORAGE_ERRORS = (OSError, BotoCoreError, ClientError)


class MediaStorageUnavailable(Exception):
    """The media storage could not store a file; nothing about it was saved."""

    def __init__(self, name, error):
        self.name = name
        super().__init__(
            f"{name}: the media storage could not store the file ({error}). Nothing was saved; "
            "try again in a moment."
        )


class FileTrackingMixin:
    """Validate new files, clean up after failed saves, and delete replaced files."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read the raw value: going through the descriptor would load a deferred field.
        raw = self.__dict__.get("file")
        self._stored_file_name = getattr(raw, "name", raw) or None

    def has_new_file(self):
        return bool(self.file) and not self.file._committed

    def save(self, *args, **kwargs):
        new_file = self.has_new_file()
        if new_file:
            if getattr(self.file.file, "checked_as", None) != self.checked_as:
                self.validate_file()
            self.set_file_metadata()
        replaced = self._stored_file_name if new_file and self.pk else None
        try:
            super().save(*args, **kwargs)
        except STORAGE_ERRORS as error:
            if new_file and not self.file._committed:
                # The storage refused the file (unreachable S3, full disk): no row was written.
                raise MediaStorageUnavailable(self.file.name, error) from error
            raise
        except BaseException:
            # The file was written before the row failed: do not leave it behind.
            if new_file and self.file._committed:
                self.file.storage.delete(self.file.name)
            raise
        if new_file:
            media_transaction.written(self.file.storage, self.file.name)
            self.file_replaced(replaced)
        self._stored_file_name = self.file.name

    def file_replaced(self, old_name):
        if old_name and old_name != self.file.name:
            storage = self.file.storage
            transaction.on_commit(lambda: storage.delete(old_name))


class CustomImage(FileTrackingMixin, AbstractImage):
    """A library image. Its `description` is the default alt text wherever it is used."""

    file = OrientedImageField(
        verbose_name="file", upload_to=get_upload_to, width_field="width", height_field="height"
    )
    credit = models.CharField(
        max_length=255,
        blank=True,
        help_text="Photographer and licence, e.g. “Photo: Studio North, CC BY 4.0”.",
    )

    # Rights (catalogue format 1.1): shown with the credit, and `expires` is the last day the
    # image may be shown on public pages (cms/media/rights.py).
    licence = models.CharField(max_length=255, blank=True, help_text="e.g. “CC BY 4.0”.")
    source = models.URLField(
        max_length=500, blank=True, help_text="Where the image came from (an http(s) address)."
    )
    expires = models.DateField(
        null=True,
        blank=True,
        db_index=True,
        help_text="The last day the image may be shown on public pages.",
    )
    # A 64-bit perceptual hash as 16 hex digits (cms/media/duplicates.py), made with the
    # renditions: near-identical pictures have hashes a few bits apart.
    perceptual_hash = models.CharField(max_length=16, blank=True, editable=False, db_index=True)

    # The first page of a PDF (cms/media/previews.py): made and deleted with its document,
    # never listed or offered to editors (cms/media/permissions.py, wagtail_hooks.py).
    document_preview = models.BooleanField(default=False, editable=False, db_index=True)
    # Shown until a rendition loads (cms/media/placeholders.py), made with the renditions;
    # empty until then, and the picture renders without them.
    dominant_colour = models.CharField(max_length=7, blank=True, editable=False)
    placeholder = models.TextField(
        blank=True, editable=False, help_text="A tiny blurred preview, as a data: URI."
    )

    admin_form_fields = (*WagtailImage.admin_form_fields, "credit", "licence", "source", "expires")
    # The admin's listing and chooser filter previews out, searches included.
    search_fields = [*AbstractImage.search_fields, index.FilterField("document_preview")]
    checked_as = "image"
    search_auto_update = False  # indexed by cms/index_batch.py (in bulk during an import)

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        verbose_name_plural = "images"

    @classmethod
    def get_indexed_objects(cls):
        # Previews are never searched for (editors do not see them): not indexed.
        return super().get_indexed_objects().filter(document_preview=False)

    def get_upload_to(self, filename):
        return super().get_upload_to(clean_filename(filename))

    def validate_file(self):
        validate_image(self.file, self.file.name)

    def set_file_metadata(self):
        self._set_image_file_metadata()
        # The old file's placeholder would show the old picture: the new one comes with the
        # new file's renditions.
        self.dominant_colour = self.placeholder = ""
        self.perceptual_hash = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_focal_point = self.focal_point_fields()

    def focal_point_fields(self):
        # From the raw values: the descriptors would load deferred fields.
        return tuple(self.__dict__.get(f"focal_point_{name}") for name in FOCAL_POINT_FIELDS)

    def save(self, *args, **kwargs):
        moved = (
            self.pk is not None
            and not self.has_new_file()  # a new file retires every rendition (file_replaced)
            and self.focal_point_fields() != self._stored_focal_point
        )
        super().save(*args, **kwargs)
        self._stored_focal_point = self.focal_point_fields()
        if moved:
            # Renditions cropped around the old focal point: kept for cached pages, remade.
            from cms.media.replaced import retire_renditions, stale_renditions

            retire_renditions(stale_renditions(self))
            self.renditions_after_commit(refresh_pages=True)

    def file_replaced(self, old_name):
        if old_name and old_name != self.file.name:
            # The old original and its renditions stay for pages still cached: retired, not
            # deleted (cms/media/replaced.py).
            from cms.media.replaced import retire_files, retire_renditions

            retire_files([old_name])
            retire_renditions(self.renditions.all())
            self.renditions_after_commit(refresh_pages=True)
        else:
            self.renditions_after_commit()

    def renditions_after_commit(self, refresh_pages=False):
        """Make every rendition the templates use before the first visitor asks for one;
        with `refresh_pages`, then refresh the pages that show the image."""
        pk = self.pk
        transaction.on_commit(lambda: generate_renditions.enqueue(pk, refresh_pages=refresh_pages))

    def generate_rendition_file(self, filter, *, source=None):
        # Every rendition goes through CleanFilter: upright, sRGB, no metadata (rendering.py).
        return super().generate_rendition_file(CleanFilter(filter.spec), source=source)


class Rendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("image", "filter_spec", "focal_point_key"), name="unique_rendition"
            )
        ]


def document_upload_to(instance, filename):
    return f"documents/{clean_filename(filename)}"


class CustomDocument(FileTrackingMixin, AbstractDocument):
    """A library document (datasheet, manual). `file_size` and `file_hash` are stored on save."""

    file = models.FileField(upload_to=document_upload_to, verbose_name="file")
    # Indexed (Wagtail's is not): imports look documents up by content hash.
    file_hash = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    # Made by the preview task (cms/media/previews.py) after the file is saved: the first page
    # as a library image, the page count, and why there is no preview when a PDF gave none.
    preview = models.ForeignKey(
        CustomImage,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    page_count = models.PositiveIntegerField(null=True, blank=True, editable=False)
    preview_error = models.CharField(max_length=255, blank=True, editable=False)
    # The `file_hash` the preview, page count and text were made from: the task's work is done
    # when it equals `file_hash`.
    previewed_hash = models.CharField(max_length=40, blank=True, editable=False)

    admin_form_fields = Document.admin_form_fields
    search_fields = [*AbstractDocument.search_fields, index.SearchField("text_for_search")]
    checked_as = "document"
    search_auto_update = False  # indexed by cms/index_batch.py (in bulk during an import)

    class Meta(AbstractDocument.Meta):
        verbose_name = "document"
        verbose_name_plural = "documents"

    def validate_file(self):
        validate_document(self.file, self.file.name)

    def set_file_metadata(self):
        self._set_document_file_metadata()

    # Who is saving a new file, when not the uploader (an editor replacing the file: the form).
    changed_by = None

    def save(self, *args, **kwargs):
        new_file = self.has_new_file()
        replacing = new_file and self.pk is not None
        super().save(*args, **kwargs)
        if replacing:
            # The pages that link it show its new name, size and preview once refreshed.
            from cms.media.replaced import refresh_pages_using

            transaction.on_commit(lambda: refresh_pages_using(self))
        if new_file:
            self.record_version(getattr(self.changed_by, "pk", None) or self.uploaded_by_user_id)

    def file_replaced(self, old_name):
        # The old file stays: it is an earlier version (DocumentVersion), and its URL redirects
        # to the current one (cms/media/document_versions.py).
        self.queue_preview()

    def queue_preview(self):
        """Preview, page count and text, in the background once the file is committed: a PDF
        that cannot be rendered never holds up an upload, an import or a restore."""
        pk = self.pk
        transaction.on_commit(lambda: update_document_preview.enqueue(pk))

    def text_for_search(self):
        """The PDF's text (DocumentText), for the admin's document search."""
        return DocumentText.objects.filter(document=self).values_list("text", flat=True).first()

    @property
    def is_pdf(self):
        return self.file_extension.lower() == "pdf"

    def restore(self, version, user):
        """Make an earlier version's file the current one again (a new version entry)."""
        self.file.name = version.file.name
        self.file_size, self.file_hash = version.file_size, version.file_hash
        self.save()
        self.queue_preview()  # a file already stored: save() saw no new file
        self.record_version(user.pk, restored_from=version)

    def record_version(self, user_id, restored_from=None):
        """Record the current file as the newest version (cms/media/document_versions.py)."""
        DocumentVersion.objects.create(
            document=self,
            file=self.file.name,
            file_size=self.file_size,
            file_hash=self.file_hash,
            uploaded_by_id=user_id,
            restored_from=restored_from,
        )


class RetiredFile(models.Model):
    """A file whose row is gone (a replaced original, an outdated rendition), kept in storage
    until MEDIA_REPLACED_GRACE_SECONDS after `retired_at` so that cached pages keep loading
    it; then `media_audit --delete` deletes it (cms/media/replaced.py)."""

    name = models.CharField(max_length=255, unique=True)
    retired_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.name


class DocumentVersion(models.Model):
    """A file a document has had: its first upload, each replacement, each restore. The files
    of earlier versions are kept (their URLs redirect to the current file) until the
    document is deleted."""

    document = models.ForeignKey(CustomDocument, on_delete=models.CASCADE, related_name="versions")
    file = models.FileField(upload_to=document_upload_to, max_length=255)
    file_size = models.PositiveBigIntegerField(null=True)
    file_hash = models.CharField(max_length=40, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    restored_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ("-uploaded_at", "-pk")

    def __str__(self):
        return self.file.name


class DocumentText(models.Model):
    """The text of a PDF's first pages (cms/media/pdf_render.py says how much), kept apart
    from the document row so that loading documents (listings, choosers, pages) never loads
    it. Indexed for search through the products that list the document."""

    document = models.OneToOneField(
        CustomDocument, primary_key=True, on_delete=models.CASCADE, related_name="text"
    )
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = "document text"

    def __str__(self):
        return f"Text of document {self.document_id}"


class ExpiredImageNotice(models.Model):
    """An image the expiry job (cms/media/expiry.py) found past its last day: one per image
    and expiry date, so the job's work (pages refreshed, Moderators told) is done once, and
    an image given a new date that passes too is found again. Moderators see the recent ones
    on the admin dashboard (cms/media/wagtail_hooks.py)."""

    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="+")
    expired_on = models.DateField(help_text="The image's last day on public pages.")
    found_at = models.DateTimeField(auto_now_add=True, db_index=True)
    pages_refreshed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ("-found_at", "-pk")
        constraints = [
            models.UniqueConstraint(fields=("image", "expired_on"), name="one_notice_per_expiry")
        ]

    def __str__(self):
        return f"Image {self.image_id} expired after {self.expired_on}"
