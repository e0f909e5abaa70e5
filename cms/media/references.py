"""Wagtail's reference index brought up to date for a page in the transaction that publishes it.

Wagtail updates the index through a background task (`update_reference_index_task`) queued by
every save; production runs tasks in a worker, so until the worker's turn the index still
describes the page as it was before the publish. The media lock (cms/media/permissions.py) and
the media API (cms/api_media.py) read the index as the truth about live pages: in that gap an
Editor could change an image the page had just started to show. Writing the published page's
references in the publish's own transaction closes the gap; the queued task finds nothing left
to change.
"""

from django.db import transaction
from wagtail.models import ReferenceIndex
from wagtail.signals import page_published


def index_published_page(instance, **kwargs):
    """Record the references of the page just published: its saved row is the live version.
    Wagtail sends `page_published` for a published revision, a copy kept live and an alias
    following its page."""
    with transaction.atomic():  # create_or_update_for_object requires one
        ReferenceIndex.create_or_update_for_object(instance)


def register():
    page_published.connect(index_published_page, dispatch_uid="media-index-published-page")
