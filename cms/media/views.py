from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.template.response import TemplateResponse

from cms.media import health


@permission_required("wagtailimages.change_image", raise_exception=True)
def media_health(request):
    """Admin report: what in the media library needs an editor's attention."""
    unused_images, unused_documents = health.unused_media()
    return TemplateResponse(
        request,
        "media/health.html",
        {
            "header_title": "Media health",
            "page_title": "Media health",
            "header_icon": "image",
            "missing_alt": health.images_missing_alt_text(),
            "unused_images": unused_images,
            "unused_documents": unused_documents,
            "oversized": health.oversized_images(),
            "oversized_bytes": settings.MEDIA_OVERSIZED_BYTES,
            "oversized_pixels": settings.MEDIA_OVERSIZED_PIXELS,
            "failing_documents": health.documents_failing_content_check(),
        },
    )
