"""The media library's models: images (with credit), their renditions, and documents.

They replace Wagtail's own models from the first migration (WAGTAILIMAGES_IMAGE_MODEL,
WAGTAILDOCS_DOCUMENT_MODEL), so fields can be added later without moving data between tables.
Files land in folders by kind: original_images/, images/ (renditions), documents/.
"""

from django.db import models
from wagtail.documents.models import AbstractDocument, Document
from wagtail.images.models import AbstractImage, AbstractRendition, Image


class CustomImage(AbstractImage):
    """A library image. Its `description` is the default alt text wherever it is used."""

    credit = models.CharField(
        max_length=255,
        blank=True,
        help_text="Photographer and licence, e.g. “Photo: Studio North, CC BY 4.0”.",
    )

    admin_form_fields = (*Image.admin_form_fields, "credit")

    class Meta(AbstractImage.Meta):
        verbose_name = "image"
        verbose_name_plural = "images"


class Rendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("image", "filter_spec", "focal_point_key"), name="unique_rendition"
            )
        ]


class CustomDocument(AbstractDocument):
    """A library document (datasheet, manual). `file_size` and `file_hash` are stored on save."""

    # Indexed (Wagtail's is not): imports look documents up by content hash.
    file_hash = models.CharField(max_length=40, blank=True, editable=False, db_index=True)

    admin_form_fields = Document.admin_form_fields

    class Meta(AbstractDocument.Meta):
        verbose_name = "document"
        verbose_name_plural = "documents"
