"""`POST /api/catalogue/import/`: a bundle zip in, the JSON import report out.

Authentication: `Authorization: Bearer <token>`, a Wagtail API token (`manage.py api_tokens
create --user NAME --name LABEL`). The token's user must be allowed to add and publish
product pages under the catalogue, and to add images and documents; the importer then checks
every existing page the import would change (products/catalogue/importer.py).

Every answer is JSON: the import report (200 or 400), or `{"error": MESSAGE, "errors":
[{"where": PLACE, "message": MESSAGE}]}` when the request itself is refused. An unexpected
failure is a JSON 500, logged once with its traceback.
"""

import tempfile

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.template.defaultfilters import filesizeformat
from django.utils.log import log_response
from django.views.decorators.csrf import csrf_exempt
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.models import APIToken, Site
from wagtail.permissions import policy_registry

from products.catalogue.importer import CatalogueNotFound, find_catalogue, import_bundle


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


def may_import(user, target):
    """Add and publish product pages under `target`, and add images and documents."""
    permissions = target.permissions_for_user(user)
    return (
        permissions.can_add_subpage()
        and permissions.can_publish_subpage()
        and policy_registry.get_by_type(get_image_model()).user_has_permission(user, "add")
        and policy_registry.get_by_type(get_document_model()).user_has_permission(user, "add")
    )


def error(status, message, where="request", **headers):
    """A refused request: the message alone, and located as the report's errors are."""
    return JsonResponse(
        {"error": message, "errors": [{"where": where, "message": message}]},
        status=status,
        headers=headers,
    )


def content_length(request):
    """The length the client announced; a malformed header counts as none, as for Django."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


@csrf_exempt
def import_catalogue(request):
    """Every failure is JSON: known causes are 4xx with their place, the rest a logged 500."""
    try:
        return handle_import(request)
    except RequestDataTooBig as exc:
        return error(413, f"the request is too large: {exc}", where="bundle")
    except (BadRequest, SuspiciousOperation, MultiPartParserError, UnreadablePostError) as exc:
        return error(400, f"the request cannot be read: {exc}")
    except Exception as exc:  # noqa: BLE001 - answered as JSON, logged with its traceback
        response = error(
            500,
            "an internal error stopped the import; it has been logged for the site's "
            "administrators",
            where="import",
        )
        log_response(
            "Internal Server Error: %s",
            request.path,
            response=response,
            request=request,
            exception=exc,
        )
        return response


def handle_import(request):
    if request.method != "POST":
        return error(405, "send the bundle with POST", Allow="POST")
    limit = settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE
    user = token_user(request)
    if user is None:
        return error(
            401,
            "a valid API token is required (Authorization: Bearer <token>)",
            where="Authorization",
            **{"WWW-Authenticate": "Bearer"},
        )
    # Rights are checked on the page the products will go under: resolve it first.
    try:
        parent = find_catalogue(request.GET.get("parent"))
    except CatalogueNotFound as exc:
        return error(400, f"?parent= names no catalogue: {exc}", where="parent")
    # Without a catalogue, the import creates one under the site's root page.
    target = parent or Site.objects.get(is_default_site=True).root_page
    if not may_import(user, target):
        return error(
            403,
            f"this token's user may not add and publish pages under “{target.title}” "
            f"(page {target.pk}) or may not add images and documents",
        )
    if content_length(request) > limit:
        return error(
            413, f"the upload is larger than the limit of {filesizeformat(limit)}", "bundle"
        )
    upload = request.FILES.get("bundle")
    if upload is None or not upload.name.lower().endswith(".zip"):
        return error(
            400, "send the bundle as a .zip file in the multipart field “bundle”", "bundle"
        )
    if upload.size > limit:
        return error(
            413, f"the bundle is larger than the limit of {filesizeformat(limit)}", "bundle"
        )
    dry_run = request.GET.get("dry_run") in ("1", "true", "yes")
    with tempfile.NamedTemporaryFile(suffix=".zip") as copy:
        for chunk in upload.chunks():
            copy.write(chunk)
        copy.flush()
        # No renditions here: new images queue theirs for after the commit.
        report = import_bundle(copy.name, parent=parent, dry_run=dry_run, user=user)
    return JsonResponse(report.as_json(), status=200 if report.ok else 400)
