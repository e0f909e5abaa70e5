"""Image fields of the read API (`/api/v2/`) whose full URLs come from the Wagtail Site.

Kept apart from cms/api_media.py (the endpoints) so page models can use them at import time.
"""

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
