"""The StreamField blocks of product pages. Block names match the catalogue bundle format
(`../shared/catalogue-format.md`): heading, paragraph, image, gallery, documents, specs."""

import copy

from django.template.defaultfilters import filesizeformat, pluralize
from wagtail import blocks
from wagtail.documents import get_document_model
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageBlock

from cms.media import rights
from cms.media.renditions import API_BODY, API_DOCUMENT_PREVIEW
from cms.site_urls import absolute_url

PARAGRAPH_FEATURES = ["h3", "bold", "italic", "link", "ol", "ul"]


def first_library_image():
    return get_image_model().objects.order_by("pk").first()


class ProductImageBlock(ImageBlock):
    """Wagtail's ImageBlock (image, alt text, decorative), safe for repeated images.

    ImageChooserBlock hands out one instance per image id, so two uses of one image would share
    (and overwrite) each other's alt text: every use gets its own copy instead.
    """

    def _struct_value_to_image(self, struct_value):
        if struct_value.get("image") is not None:
            struct_value["image"] = copy.copy(struct_value["image"])
        return super()._struct_value_to_image(struct_value)

    def get_api_representation(self, value, context=None):
        if not rights.is_shown(value):  # none, or expired (a gallery leaves it out)
            return None
        rendition = value.get_rendition(API_BODY)
        return {
            "image": value.pk,
            "alt": rendition.alt,
            "decorative": bool(value.decorative),
            "url": absolute(context, rendition.url),
            "width": rendition.width,
            "height": rendition.height,
            "dominant_colour": value.dominant_colour,
            "placeholder": value.placeholder,
        }


def absolute(context, url):
    return absolute_url(url, (context or {}).get("request"))


class CaptionedImageBlock(blocks.StructBlock):
    image = ProductImageBlock()
    caption = blocks.CharBlock(required=False, max_length=255)

    def get_preview_value(self):
        image = first_library_image()
        if image:
            image.contextual_alt_text, image.decorative = image.default_alt_text, False
        return blocks.StructValue(self, [("image", image), ("caption", "A caption")])

    class Meta:
        icon = "image"
        template = "blocks/image.html"
        description = "One image with alt text (or marked decorative) and an optional caption."


class GalleryBlock(blocks.ListBlock):
    def __init__(self, **kwargs):
        super().__init__(ProductImageBlock(), min_num=1, max_num=50, **kwargs)

    def get_preview_value(self):
        images = list(get_image_model().objects.order_by("pk")[:4])
        for image in images:
            image.contextual_alt_text, image.decorative = image.default_alt_text, False
        return images

    def get_api_representation(self, value, context=None):
        # Expired images (None, ProductImageBlock) are left out, as on the page.
        items = super().get_api_representation(value, context)
        return [item for item in items if item is not None]

    class Meta:
        icon = "image"
        template = "blocks/gallery.html"
        description = "1 to 50 images shown as thumbnails that open large."


class PreviewedDocumentChooserBlock(DocumentChooserBlock):
    """Wagtail's DocumentChooserBlock, loading each document's preview image in the same query
    (a page's documents are loaded in bulk; their previews would be one query each)."""

    def bulk_to_python(self, values):
        objects = self.model_class.objects.select_related("preview").in_bulk(values)
        result, seen = [], set()
        for pk in values:
            obj = objects.get(pk)
            # As Wagtail's: a document listed twice is two instances.
            result.append(copy.copy(obj) if obj is not None and pk in seen else obj)
            seen.add(pk)
        return result


# The file-type icon (static/img/file-types/) of documents without a preview.
FILE_TYPE_ICONS = {
    "pdf": "pdf",
    "docx": "text",
    "odt": "text",
    "txt": "text",
    "xlsx": "sheet",
    "csv": "sheet",
    "pptx": "slides",
    "zip": "archive",
}


class DocumentLinkValue(blocks.StructValue):
    """Presentation of one document link, from stored fields only (no storage calls)."""

    def display_title(self):
        """The title given for this use, else the document's own title."""
        return self.get("title") or self["document"].title

    def extension(self):
        return self["document"].file_extension.upper()

    def size(self):
        file_size = self["document"].file_size
        return filesizeformat(file_size) if file_size is not None else ""

    def page_count(self):
        return self["document"].page_count

    def preview(self):
        """The first page as an image, or None. Decorative (empty alt text): the document's
        title, beside it inside the same link, says what the link is."""
        image = self["document"].preview
        if image is not None:
            image.decorative = True
        return image

    def icon(self):
        """Static path of the file-type icon shown when there is no preview."""
        name = FILE_TYPE_ICONS.get(self["document"].file_extension.lower(), "file")
        return f"img/file-types/{name}.svg"

    def details(self):
        """ "PDF, 12 pages, 1.2 MB": type, page count and size, as far as they are known."""
        parts = [self.extension()]
        pages = self.page_count()
        if pages:
            parts.append(f"{pages} page{pluralize(pages)}")
        if self.size():
            parts.append(self.size())
        return ", ".join(part for part in parts if part)


class DocumentLinkBlock(blocks.StructBlock):
    document = PreviewedDocumentChooserBlock()
    title = blocks.CharBlock(
        required=False, max_length=255, help_text="Leave empty to use the document's own title."
    )

    def get_api_representation(self, value, context=None):
        document = value["document"]
        return {
            "document": document.pk,
            "title": value.display_title(),
            "url": absolute(context, document.url),
            "extension": value.extension(),
            "size": document.file_size,
            "page_count": document.page_count,
            "preview": preview_representation(value.preview(), context),
        }

    class Meta:
        icon = "doc-full"
        value_class = DocumentLinkValue


def preview_representation(image, context):
    """A document preview's thumbnail rendition in the API, or None."""
    if image is None:
        return None
    rendition = image.get_rendition(API_DOCUMENT_PREVIEW)
    return {
        "url": absolute(context, rendition.url),
        "width": rendition.width,
        "height": rendition.height,
    }


class DocumentListBlock(blocks.ListBlock):
    def __init__(self, **kwargs):
        super().__init__(DocumentLinkBlock(), min_num=1, max_num=50, **kwargs)

    def get_preview_value(self):
        documents = get_document_model().objects.order_by("pk")[:2]
        return self.to_python([{"document": d.pk, "title": ""} for d in documents])

    class Meta:
        icon = "doc-full"
        template = "blocks/documents.html"
        description = "Downloads (datasheets, manuals): 1 to 50 documents."


class SpecRowBlock(blocks.StructBlock):
    name = blocks.CharBlock(max_length=255)
    value = blocks.CharBlock(max_length=255)

    class Meta:
        icon = "list-ul"


class SpecsBlock(blocks.ListBlock):
    def __init__(self, **kwargs):
        super().__init__(SpecRowBlock(), min_num=1, max_num=100, **kwargs)

    class Meta:
        icon = "table"
        template = "blocks/specs.html"
        description = "A specification table: 1 to 100 name/value rows."
        preview_value = [
            {"name": "Height", "value": "92 cm"},
            {"name": "Weight", "value": "6 kg"},
        ]


class ProductBodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        max_length=255,
        icon="title",
        form_classname="title",
        template="blocks/heading.html",
        description="A section heading.",
        preview_value="Craftsmanship",
    )
    paragraph = blocks.RichTextBlock(
        features=PARAGRAPH_FEATURES,
        icon="pilcrow",
        template="blocks/paragraph.html",
        description="Text with bold, italic, links, lists and sub-headings.",
        preview_value="<p>Solid oak, <b>hand finished</b> in our workshop.</p>",
    )
    image = CaptionedImageBlock()
    gallery = GalleryBlock()
    documents = DocumentListBlock()
    specs = SpecsBlock()
