"""A document keeps its URL when its file is replaced, and keeps its earlier files.

Wagtail serves a document at `/documents/<id>/<file name>` and deletes a replaced file at
once, so every page, bookmark and search result that links the old name gets a 404. Here:

- each file a document has had is a `DocumentVersion` (models.py), kept until the document is
  deleted; `serve_document` redirects an earlier file name to the current URL (302: a restore
  may make the old name current again, and a cached permanent redirect would then loop);
- the admin's "Versions" page lists them (who, when) and restores one, for those who may
  change the document (Moderators; an Editor only their own, unused on live pages: the same
  rule as replacing the file, cms/media/permissions.py);
- the old and new URLs are refreshed in the edge cache after the change (cache_refresh.py),
  and the pages that link the document, so they link the current name.
"""

import posixpath

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_POST
from wagtail.admin import messages
from wagtail.documents import get_document_model
from wagtail.documents.views.serve import serve
from wagtail.permissions import policy_registry

from cms.media.models import DocumentVersion


def serve_document(request, document_id, document_filename):
    """Wagtail's serve view; an earlier file name of a public document redirects to the
    current one."""
    document = get_object_or_404(get_document_model(), id=document_id)
    if document.filename != document_filename and is_earlier_name(document, document_filename):
        # A private document's current name is told only to those who may read it.
        if not document.collection.get_view_restrictions().exists():
            return redirect(document.url)
        raise Http404("This document does not match the given filename.")
    return serve(request, document_id, document_filename)


def is_earlier_name(document, filename):
    return any(
        posixpath.basename(name) == filename
        for name in document.versions.values_list("file", flat=True)
    )


def may_change(user, document):
    policy = policy_registry.get_by_type(type(document))
    return policy.user_has_permission_for_instance(user, "change", document)


def versions(request, document_id):
    """Admin: the files a document has had, newest first, each restorable."""
    document = get_object_or_404(get_document_model(), id=document_id)
    if not may_change(request.user, document):
        raise PermissionDenied
    return TemplateResponse(
        request,
        "media/document_versions.html",
        {
            "header_title": f"Versions of “{document.title}”",
            "page_title": f"Versions of {document.title}",
            "header_icon": "doc-full-inverse",
            "document": document,
            "versions": document.versions.select_related("uploaded_by", "restored_from"),
        },
    )


@require_POST
def restore(request, document_id, version_id):
    document = get_object_or_404(get_document_model(), id=document_id)
    version = get_object_or_404(DocumentVersion, id=version_id, document=document)
    if not may_change(request.user, document):
        raise PermissionDenied
    if version.file.name == document.file.name:
        messages.warning(request, f"That version of “{document.title}” is the current one.")
    else:
        with transaction.atomic():
            document.restore(version, request.user)
        messages.success(
            request,
            f"“{document.title}” is {posixpath.basename(version.file.name)} again, uploaded "
            f"{version.uploaded_at:%Y-%m-%d %H:%M}; the replaced file is kept as a version.",
        )
    return redirect("media_document_versions", document.pk)


def delete_version_file(instance, **kwargs):
    """A version's row is deleted with its document: delete its file after the commit, unless
    another row still uses it (the same file restored, a current document)."""
    from cms.media.audit import is_referenced

    name, storage = instance.file.name, instance.file.storage
    transaction.on_commit(lambda: is_referenced(name) or storage.delete(name))
