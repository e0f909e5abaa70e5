"""Refresh a document in the edge cache when who may read it, or what it is, changes.

nginx keeps a public document (`/documents/<id>/<name>`) like a page. Moving it into a private
collection, restricting its collection, replacing its file or deleting it must not leave the
old copy to anyone who asks: its URLs, on every site, are refreshed through Wagtail's frontend
cache (cms/frontend_cache.py) once the change has committed, so the refresh sees it.
"""

import os

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.documents import get_document_model
from wagtail.models import CollectionViewRestriction, Site


def refresh_after_commit(documents):
    """Refresh every URL the documents were or are served at, after the transaction."""
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    paths = set()
    for document in documents:
        # The stored name before this save too (FileTrackingMixin): a replaced file changes
        # the URL, and the old one must not keep the old file.
        names = {document.filename, os.path.basename(document._stored_file_name or "")}
        paths.update(reverse("wagtaildocs_serve", args=(document.pk, n)) for n in names if n)
    roots = {site_root.root_url for site_root in Site.get_site_root_paths()}
    batch = PurgeBatch(root + path for root in roots for path in paths)
    transaction.on_commit(batch.purge)


def document_changed(instance, created=False, **kwargs):
    if not created:  # a new document has no cached copy yet
        refresh_after_commit([instance])


def restriction_changed(instance, **kwargs):
    """A collection made private (or public again): every document in it and below it."""
    collection = instance.collection
    refresh_after_commit(
        get_document_model().objects.filter(collection__path__startswith=collection.path)
    )


def register():
    document_model = get_document_model()
    post_save.connect(document_changed, sender=document_model)
    post_delete.connect(document_changed, sender=document_model)
    for signal in (post_save, post_delete):
        signal.connect(restriction_changed, sender=CollectionViewRestriction)
