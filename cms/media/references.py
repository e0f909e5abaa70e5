"""Wagtail's reference index brought up to date for a page in the transaction that publishes it.

Wagtail updates the index through a background task (`update_reference_index_task`) queued by
every save; production runs tasks in a worker, so until the worker's turn the index still
describes the page as it was before the publish. The media lock (cms/media/permissions.py) and
the media API (cms/api_media.py) read the index as the truth about live pages: in that gap an
Editor could change an image the page had just started to show. Writing the published page's
references in the publish's own transaction closes the gap; the queued task finds nothing left
to change.

An import publishing many new pages (products/catalogue/bulk_pages.py) indexes them together,
still inside its transaction: `published_pages_indexed_together()`.
"""

import threading
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from wagtail.models import ReferenceIndex
from wagtail.signals import page_published

_batch = threading.local()


@contextmanager
def published_pages_indexed_together():
    """Within it, pages published are recorded, and indexed together when it ends: pages the
    index holds nothing for yet (new ones) with one insert for all their rows, the others as
    one by one. Nested, it joins the outer one."""
    if getattr(_batch, "pages", None) is not None:
        yield
        return
    pages = _batch.pages = []
    try:
        yield
    finally:
        _batch.pages = None
    index_pages(pages)


def index_pages(pages):
    if not pages:
        return
    indexed = set(
        ReferenceIndex.objects.filter(object_id__in=[str(p.pk) for p in pages]).values_list(
            "base_content_type_id", "object_id"
        )
    )
    rows = []
    with transaction.atomic():  # create_or_update_for_object requires one
        for page in pages:
            content_type, base_content_type = content_types(page)
            if (base_content_type.pk, str(page.pk)) in indexed:
                ReferenceIndex.create_or_update_for_object(page)
                continue
            # What create_or_update_for_object inserts for an object the index holds nothing
            # for, from Wagtail's own (private) extraction: pinned by the import's
            # equivalence test (tests/products/test_import_cost.py).
            rows += [
                ReferenceIndex(
                    content_type=content_type,
                    base_content_type=base_content_type,
                    object_id=page.pk,
                    to_content_type_id=to_content_type_id,
                    to_object_id=to_object_id,
                    model_path=model_path,
                    content_path=content_path,
                    content_path_hash=ReferenceIndex._get_content_path_hash(content_path),
                )
                for to_content_type_id, to_object_id, model_path, content_path in set(
                    ReferenceIndex._extract_references_from_object(page)
                )
            ]
        ReferenceIndex.objects.bulk_create(
            rows, ignore_conflicts=connection.features.supports_ignore_conflicts
        )


def content_types(page):
    """The page's own content type and its base model's, as the index records them."""
    models = [page, *page._meta.get_parent_list()]
    types = [ContentType.objects.get_for_model(m, for_concrete_model=False) for m in models]
    return types[0], types[-1]


def index_published_page(instance, **kwargs):
    """Record the references of the page just published: its saved row is the live version.
    Wagtail sends `page_published` for a published revision, a copy kept live and an alias
    following its page."""
    pages = getattr(_batch, "pages", None)
    if pages is not None:
        pages.append(instance)
        return
    with transaction.atomic():  # create_or_update_for_object requires one
        ReferenceIndex.create_or_update_for_object(instance)


def register():
    page_published.connect(index_published_page, dispatch_uid="media-index-published-page")
