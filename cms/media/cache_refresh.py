"""Refresh a document in the edge cache when who may read it, or what it is, changes.

nginx keeps a public document (`/documents/<id>/<name>`) like a page. Moving it into a private
collection, restricting its collection (or one above), moving its collection under a private
one, replacing its file or deleting it must not leave the old copy to anyone who asks: its
URLs, on every site, are refreshed through Wagtail's frontend cache (cms/frontend_cache.py) once
the change has committed, so the refresh sees it.

A collection's documents are refreshed only when they turn from public to private. Made public
again, or private in another way (a new password, login instead of groups), they need none:
while private, the copies nginx holds are the private answers, stored expired by a refresh.
"""

import os

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.urls import reverse
from wagtail.contrib.frontend_cache.utils import PurgeBatch
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction, Site


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


def is_private(collection):
    """Whether a view restriction on `collection` or above keeps its documents from the
    public ("none" is Wagtail's public kind)."""
    restrictions = collection.get_view_restrictions()
    return restrictions.exclude(restriction_type=CollectionViewRestriction.NONE).exists()


def refresh_if_turning_private(collection):
    """After the commit, refresh the documents of `collection` and below if they turned
    private: public as the collection stands now, before the change being saved, and private
    once it is committed."""
    if not getattr(settings, "WAGTAILFRONTENDCACHE", None):
        return
    was_private = is_private(collection)

    def check():
        current = Collection.objects.filter(pk=collection.pk).first()
        if current is not None and not was_private and is_private(current):
            refresh_after_commit(
                get_document_model().objects.filter(collection__path__startswith=current.path)
            )

    transaction.on_commit(check)


def restriction_saving(instance, **kwargs):
    """A restriction added (or turned from "none" into a private kind)."""
    refresh_if_turning_private(instance.collection)


def collection_saved(instance, created=False, raw=False, **kwargs):
    """A collection moved under a private one. Wagtail's edit view saves the collection, then
    moves it (treebeard's move() sends no signal) in one transaction: the saved row is still
    where it was, and the check after the commit sees where it went."""
    if not created and not raw:
        refresh_if_turning_private(instance)


def register():
    document_model = get_document_model()
    post_save.connect(document_changed, sender=document_model)
    post_delete.connect(document_changed, sender=document_model)
    # Before the save: whether the documents were private without this restriction. A
    # restriction deleted refreshes nothing.
    pre_save.connect(restriction_saving, sender=CollectionViewRestriction)
    post_save.connect(collection_saved, sender=Collection)
