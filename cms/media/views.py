from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from wagtail.admin import messages
from wagtail.permissions import policy_registry

from cms.media import health
from cms.media.duplicates import near_duplicate_groups
from cms.media.permissions import pages_blocking_change, refusal_message


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
            "without_preview": health.documents_without_preview(),
            "duplicate_groups": near_duplicate_groups(),
            "expiring_soon": health.images_expiring_soon(),
            "expiring_soon_days": health.EXPIRING_SOON_DAYS,
            "expired": health.expired_images(),
        },
    )


def explain_media_in_use(view, model, action, pk_kwarg, index_url_name):
    """Wrap Wagtail's edit or delete view of an image or document so that a user whom only
    the live pages using it keep out is told which pages, instead of Wagtail's generic
    "you do not have permission". The refusal itself is the permission policy's
    (cms/media/permissions.py); without this wrapper it still holds."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        obj = get_object_or_404(model, pk=kwargs[pk_kwarg])
        policy = policy_registry.get_by_type(model)
        if policy.ownership_allows(request.user, action, obj):
            pages = pages_blocking_change(request.user, obj)
            if pages:
                messages.error(request, refusal_message(obj, pages))
                return redirect(index_url_name)
        return view(request, *args, **kwargs)

    return wrapped
