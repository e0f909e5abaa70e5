"""Replacing an image without breaking a page: old files outlive their rows for a while.

When an image's file or focal point changes, its renditions show the old picture. Wagtail
deletes them, and a replaced original, at once (wagtail/wagtail#13225): a page that nginx or a
browser still holds then shows broken images until it is refreshed. Here:

1. the old renditions' rows go (new ones will take their names' places), but their files, and
   a replaced original, are recorded as `RetiredFile`s and stay in storage;
2. after the commit, the generate_renditions task makes the new renditions, and only then
   refreshes, in the edge cache, the live pages that use the image (Wagtail's reference index)
   with the listings they appear on: a refreshed page finds its renditions made;
3. `media_audit --delete` deletes a retired file once MEDIA_REPLACED_GRACE_SECONDS (24 hours)
   have passed since it was retired, unless a row uses that name again by then.
"""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from wagtail.images.models import Filter

from cms.media.models import RetiredFile


def retire_files(names):
    """Keep these files for the grace period from now; their rows are being deleted."""
    now = timezone.now()
    RetiredFile.objects.bulk_create(
        [RetiredFile(name=name, retired_at=now) for name in names if name],
        ignore_conflicts=True,
    )


def retire_renditions(renditions):
    """Delete these rendition rows and retire their files."""
    renditions = list(renditions)
    if not renditions:
        return
    retire_files([rendition.file.name for rendition in renditions])
    for rendition in renditions:
        rendition.purge_from_cache()
    rows = type(renditions[0]).objects.filter(pk__in=[r.pk for r in renditions])
    # Not `.delete()`: Wagtail deletes a rendition's file when its row is deleted (its
    # post_delete handler, wagtail/images/signal_handlers.py); these files must stay.
    rows._raw_delete(rows.db)


def stale_renditions(image):
    """The renditions made for a focal point the image no longer has (those of a use's own
    focal point, cms/media/crops.py, stay: the use still has it)."""
    from cms.media.crops import crop_keys

    kept = crop_keys(image)
    return [
        rendition
        for rendition in image.renditions.all()
        if Filter(spec=rendition.filter_spec).get_cache_key(image) != rendition.focal_point_key
        and rendition.focal_point_key not in kept
    ]


def refresh_pages_using(item):
    """Refresh, in the edge cache, the live pages that show an image or document, with their
    listings."""
    from cms.media.permissions import live_pages_using
    from products.signal_handlers import purge_with_listings

    pages = live_pages_using(item)
    if pages:
        purge_with_listings([page.specific_deferred for page in pages])


def expired(now=None):
    """The retired files whose grace period is over."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.MEDIA_REPLACED_GRACE_SECONDS)
    return RetiredFile.objects.filter(retired_at__lte=limit)
