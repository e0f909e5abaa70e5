"""`POST /api/catalogue/import/`: a bundle zip in, the JSON import report out.

Authentication: `Authorization: Bearer <token>`, a Wagtail API token (`manage.py api_tokens
create --user NAME --name LABEL`). The token's user must be allowed to add and publish
product pages under the catalogue, and to add images and documents.
"""

import tempfile

from django.conf import settings
from django.http import JsonResponse
from django.template.defaultfilters import filesizeformat
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import APIToken, Site
from wagtail.permissions import policy_registry

from products.catalogue.importer import import_bundle
from products.models import ProductIndexPage


def token_user(request):
    """The active user of a valid, unrevoked bearer token, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not APIToken.validate_token_format(token.strip()):
        return None
    api_token = (
        APIToken.objects.select_related("user")
        .filter(key_hash__in=APIToken.candidate_key_hashes(token.strip()), revoked_at=None)
        .first()
    )
    return api_token.user if api_token and api_token.user.is_active else None


def may_import(user, parent):
    """Add and publish product pages where they go, and add images and documents."""
    target = parent or ProductIndexPage.objects.order_by("path").first()
    target = target or Site.objects.get(is_default_site=True).root_page
    permissions = target.permissions_for_user(user)
    return (
        permissions.can_add_subpage()
        and permissions.can_publish_subpage()
        and policy_registry.get_by_type(get_image_model()).user_has_permission(user, "add")
        and policy_registry.get_by_type(get_document_model()).user_has_permission(user, "add")
    )


def error(status, message, **headers):
    return JsonResponse({"error": message}, status=status, headers=headers)


@csrf_exempt
@require_POST
def import_catalogue(request):
    limit = settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE
    user = token_user(request)
    if user is None:
        return error(
            401,
            "a valid API token is required (Authorization: Bearer <token>)",
            **{"WWW-Authenticate": "Bearer"},
        )
    parent_ref = request.GET.get("parent") or None
    parent = (
        ProductIndexPage.objects.filter(pk=parent_ref).first()
        if parent_ref and parent_ref.isdigit()
        else None
    )
    if not may_import(user, parent):
        return error(403, "this token's user may not add and publish products and media")
    if int(request.META.get("CONTENT_LENGTH") or 0) > limit:
        return error(413, f"the upload is larger than the limit of {filesizeformat(limit)}")
    upload = request.FILES.get("bundle")
    if upload is None or not upload.name.lower().endswith(".zip"):
        return error(400, "send the bundle as a .zip file in the multipart field “bundle”")
    if upload.size > limit:
        return error(413, f"the bundle is larger than the limit of {filesizeformat(limit)}")
    dry_run = request.GET.get("dry_run") in ("1", "true", "yes")
    with tempfile.NamedTemporaryFile(suffix=".zip") as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        report = import_bundle(copy.name, parent=parent_ref, dry_run=dry_run, user=user)
    return JsonResponse(report.as_json(), status=200 if report.ok else 400)
