"""The expiry job: images past their last day (`expires`, cms/media/rights.py) leave the
pages cached at the edge, and Moderators are told.

Public pages stop showing an expired image by themselves from the first render after its
last day; what the job adds is for the copies rendered before: nginx keeps a page as long as
its Cache-Control says. Each run finds the images that expired since the last one (expired,
with no ExpiredImageNotice for that date yet), refreshes the live pages that use them and
their listings (cms/media/replaced.py, through Wagtail's frontend cache), and records one
notice per image, which the admin dashboard shows to Moderators. A second run finds nothing
new; a run that stopped half way is finished by the next (an image's notice is written after
its refresh was sent). The refresh itself is Wagtail's purge task: a refresh nginx did not
take fails that task, logged (cms/frontend_cache.py).

Run it shortly after midnight (site time) and then hourly: `manage.py expire_images`, or the
`expire_images_task` task (docs/deployment.md).
"""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Exists, F, OuterRef
from wagtail.images import get_image_model

from cms import clock
from cms.media.health import EXPIRING_SOON_DAYS
from cms.media.models import ExpiredImageNotice
from cms.media.permissions import live_pages_using
from cms.media.replaced import refresh_pages_using


@dataclass(frozen=True)
class ExpiredImage:
    image: object
    pages: list  # the live pages refreshed


def newly_expired(today=None):
    """Images past their last day that no run has handled yet, oldest expiry first."""
    today = today or clock.today()
    handled = ExpiredImageNotice.objects.filter(
        image=OuterRef("pk"), expired_on=OuterRef("expires")
    )
    return (
        get_image_model()
        .objects.filter(expires__lt=today, document_preview=False)
        .exclude(Exists(handled))
        .order_by("expires", "pk")
    )


def expire_images(today=None):
    """Refresh the pages of the images that expired since the last run and record a notice
    for each. Returns what was done, one ExpiredImage per image."""
    done = []
    for image in newly_expired(today):
        pages = live_pages_using(image)
        refresh_pages_using(image)
        ExpiredImageNotice.objects.get_or_create(
            image=image, expired_on=image.expires, defaults={"pages_refreshed": len(pages)}
        )
        done.append(ExpiredImage(image, pages))
    return done


def recent_notices(days=EXPIRING_SOON_DAYS, today=None):
    """Notices of the images that expired in the last `days` days, newest first; not those
    whose image has since been given another date (it is shown again, or expires later)."""
    since = (today or clock.today()) - timedelta(days=days)
    return (
        ExpiredImageNotice.objects.filter(expired_on__gte=since, expired_on=F("image__expires"))
        .select_related("image")
        .order_by("-expired_on", "image__title")
    )
