"""Image fields of the read API (`/api/v2/`) whose full URLs come from the Wagtail Site.

Kept apart from cms/api_media.py (the endpoints) so page models can use them at import time.
"""

from rest_framework.relations import RelatedField
from wagtail.images.api.fields import ImageRenditionField

from cms.site_urls import absolute_url


class SiteImageRenditionField(ImageRenditionField):
    """Wagtail's rendition field with `full_url` on the answering Site's root URL.

    Wagtail builds `full_url` from WAGTAILADMIN_BASE_URL, the admin's address, which need not
    be the public site's (cms/site_urls.py). A rendition already on a full URL (a renditions
    bucket) keeps it.
    """

    def to_representation(self, image):
        representation = super().to_representation(image)
        if "url" in representation:  # not an error answer (SourceImageIOError)
            representation["full_url"] = absolute_url(
                representation["url"], self.context.get("request")
            )
        return representation


class ShownImageField(RelatedField):
    """An image as Wagtail's API nests a foreign key (id, meta, the images endpoint's nested
    fields), read from another attribute (`source`): a product's `hero_image` shows the hero
    visitors see (`shown_hero`, cms/media/rights.py), never an expired one.

    Wagtail builds the nested serializer of a relation field by the field's name
    (`child_serializer_classes`) and only for its own relational field; this uses that class
    with another source."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, **kwargs)

    def to_representation(self, value):
        serializer_class = self.parent.child_serializer_classes[self.field_name]
        return serializer_class(context=self.context).to_representation(value)
