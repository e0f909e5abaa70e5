"""The StreamField blocks of product pages. Block names match the catalogue bundle format
(`../shared/catalogue-format.md`): heading, paragraph, image, gallery, documents, specs."""

import copy

from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat, pluralize
from wagtail import blocks
from wagtail.blocks.struct_block import BlockGroup, StructBlockValidationError
from wagtail.documents import get_document_model
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageBlock

from cms.media import rights
from cms.media.crop_fields import (
    FocalPointFormField,
    FocalPointInput,
    check_inside,
    parse_focal_point,
)
from cms.media.crops import focal_point_value, for_use
from cms.media.renditions import API_BODY, API_DOCUMENT_PREVIEW
from cms.site_urls import absolute_url

PARAGRAPH_FEATURES = ["h3", "bold", "italic", "link", "ol", "ul"]


def first_library_image():
    return get_image_model().objects.order_by("pk").first()


class FocalPointBlock(blocks.FieldBlock):
    """A use's own focal point (cms/media/crops.py): a dict, or None to follow the image's."""

    def __init__(self, use="image", **kwargs):
        self.field = FocalPointFormField(required=False, widget=FocalPointInput(use=use))
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return parse_focal_point(value)
        except ValidationError:
            return None  # never stored so: the form refuses it

    def get_prep_value(self, value):
        return value or None


class ProductImageBlock(ImageBlock):
    """Wagtail's ImageBlock (image, alt text, decorative), safe for repeated images, with a
    per-use focal point.

    ImageChooserBlock hands out one instance per image id, so two uses of one image would share
    (and overwrite) each other's alt text: every use gets its own copy instead. That copy
    also carries the use's focal point (`crops.for_use`): templates, prefetching and the API
    then render this use's crop with no more code. The stored value gains `focal_point` only
    where a use has one, so existing rows and imports compare as before.
    """

    def __init__(self, use="image", **kwargs):
        super().__init__(**kwargs)
        # ImageBlock fixes its child blocks in its constructor (no local_blocks argument).
        # `use` (renditions.USE_SPECS) is what the crop chooser previews.
        focal_point = FocalPointBlock(use=use, label="Crop for this use")
        focal_point.set_name("focal_point")
        self.child_blocks["focal_point"] = focal_point
        # The form's layout was fixed from the three children too (StructBlock.__init__).
        self.meta.form_layout = BlockGroup([*self.meta.form_layout.children, "focal_point"])

    def _struct_value_to_image(self, struct_value):
        image = struct_value.get("image")
        if image is not None:
            raw = struct_value.get("focal_point")
            try:
                value = parse_focal_point(raw)
            except ValidationError:
                value = None
            image = for_use(image, value)
            if image is struct_value["image"]:
                image = copy.copy(image)
            image.focal_point_for_use = raw if value is None else value
            struct_value["image"] = image
        return super()._struct_value_to_image(struct_value)

    def _image_to_struct_value(self, image):
        return {
            **super()._image_to_struct_value(image),
            "focal_point": image and getattr(image, "focal_point_for_use", None),
        }

    def get_prep_value(self, value):
        prep = super().get_prep_value(value)
        focal_point = getattr(value, "focal_point_for_use", None)
        if isinstance(focal_point, dict):
            prep["focal_point"] = focal_point
        return prep

    def get_form_state(self, value):
        state = super().get_form_state(value)
        focal_point = getattr(value, "focal_point_for_use", None) if value else None
        state["focal_point"] = self.child_blocks["focal_point"].get_form_state(focal_point)
        return state

    def clean(self, value):
        value = super().clean(value)
        if value is not None:
            try:
                focal_point = parse_focal_point(getattr(value, "focal_point_for_use", None))
                check_inside(focal_point, value)
            except ValidationError as error:
                raise StructBlockValidationError(block_errors={"focal_point": error}) from error
        return value

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
            # This use's own focal point (cms/media/crops.py), or None: the image's applies.
            "focal_point": getattr(value, "use_focal_point", None)
            and focal_point_value(value.use_focal_point),
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
        super().__init__(ProductImageBlock(use="gallery"), min_num=1, max_num=50, **kwargs)

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
