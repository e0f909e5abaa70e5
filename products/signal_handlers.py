"""Purge the edge cache of the pages a product appears on.

Wagtail's frontend cache purges a page itself when it is published or unpublished (through a
background task). A product also shows on its listing and on the home page (featured
products, categories), and a moved page leaves its old URL cached: those are purged here,
with the product page again, once the transaction commits: a purge sent earlier would let
the cache fetch the page as it was before (an import publishes inside one transaction).
A page made private (a view restriction) is purged with every page below it.
"""

import threading
from contextlib import contextmanager

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.models import Page, PageViewRestriction
from wagtail.signals import page_published, page_unpublished, post_page_move

from products.crop_uses import queue_crop_renditions
from products.models import ProductPage

_batch = threading.local()


@contextmanager
def purges_batched():
    """Within it (an import), published and unpublished products are purged once, together,
    after the commit: their listings are the same few pages, worked out once per parent,
    not once per product."""
    if getattr(_batch, "pages", None) is not None:
        yield
        return
    pages = _batch.pages = {}
    try:
        yield
    finally:
        _batch.pages = None
    transaction.on_commit(lambda: purge_with_listings(pages.values()))


def purge_listings(instance, **kwargs):
    pages = getattr(_batch, "pages", None)
    if pages is not None:
        pages[instance.pk] = instance
        return
    transaction.on_commit(lambda: purge_with_listings([instance]))


def purge_with_listings(pages):
    batch = PurgeBatch()
    parent_paths = set()
    for page in pages:
        batch.add_page(page)
        parent_paths.add(page.path[: -Page.steplen])
    for parent in Page.objects.filter(path__in=parent_paths):
        batch.add_pages(parent.get_ancestors(inclusive=True).filter(depth__gt=1))
    batch.purge()


def purge_after_move(instance, url_path_before, parent_page_before, **kwargs):
    batch = PurgeBatch()
    site = instance.get_site()
    if site and url_path_before.startswith(site.root_page.url_path):
        batch.add_url(site.root_url + "/" + url_path_before[len(site.root_page.url_path) :])
    batch.add_page(instance)
    batch.add_pages([parent_page_before, *instance.get_ancestors().filter(depth__gt=1)])
    batch.purge()


def purge_restricted(instance, **kwargs):
    """A page made private, or public again: it and the pages below it (Wagtail sends none)."""
    batch = PurgeBatch()
    batch.add_pages(instance.page.get_descendants(inclusive=True).live())
    transaction.on_commit(batch.purge)


def register():
    for signal in (page_published, page_unpublished):
        signal.connect(purge_listings, sender=ProductPage)
    page_published.connect(queue_crop_renditions, sender=ProductPage)
    post_page_move.connect(purge_after_move)
    for signal in (post_save, post_delete):
        signal.connect(purge_restricted, sender=PageViewRestriction)
