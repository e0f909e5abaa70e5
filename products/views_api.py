"""`POST /api/catalogue/import/`: a bundle zip in, the JSON import report out.

The synchronous wrapper, for small bundles: the import runs inside the request, so a large
bundle outlives the proxy's timeout. Large bundles go to the job endpoints
(`POST /api/catalogue/imports/`, products/jobs/views.py), which answer at once and import in
the background; both share the checks below and give the same report.

Authentication: `Authorization: Bearer <token>`, a Wagtail API token (`manage.py api_tokens
create --user NAME --name LABEL`). The token's user must be allowed to add and publish
product pages under the catalogue, and to add images and documents; the importer then checks
every page the import would change, the collection new media go into and any category it
would create (products/catalogue/planner.py).

Every answer is JSON: the import report (200 or 400), or `{"error": MESSAGE, "errors":
[{"where": PLACE, "message": MESSAGE}]}` when the request itself is refused. An unexpected
failure is a JSON 500, logged once with its traceback.
"""

import functools
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

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

# The longest file name a report shows for the uploaded bundle (file systems allow 255).
MAX_NAME_BYTES = 120


def bearer_token(request):
    """The valid, unrevoked bearer token of an active user, or None."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not APIToken.validate_token_format(token.strip()):
        return None
    api_token = (
        APIToken.objects.select_related("user")
        .filter(key_hash__in=APIToken.candidate_key_hashes(token.strip()), revoked_at=None)
        .first()
    )
    return api_token if api_token and api_token.user.is_active else None


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


def json_errors(view):
    """Every failure of an import endpoint as JSON: known causes are 4xx with their place,
    the rest a logged 500."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except RequestDataTooBig as exc:
            return error(413, f"the request is too large: {exc}", where="bundle")
        except (
            BadRequest,
            SuspiciousOperation,
            MultiPartParserError,
            UnreadablePostError,
        ) as exc:
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

    return wrapped


@csrf_exempt
@json_errors
def import_catalogue(request):
    """The synchronous import: the report, 200 or 400, once the import has ended."""
    if request.method != "POST":
        return error(405, "send the bundle with POST", Allow="POST")
    upload = checked_upload(request)
    if isinstance(upload, JsonResponse):
        return upload
    # The copy keeps the uploaded file's name, so that errors about the whole bundle name the
    # user's file; a private folder of its own keeps names from clashing between requests.
    folder = tempfile.mkdtemp(prefix="catalogue-import-")
    try:
        copy = Path(folder) / bundle_file_name(upload.file.name)
        with copy.open("wb") as file:
            for chunk in upload.file.chunks():
                file.write(chunk)
        # No renditions here: new images queue theirs for after the commit.
        report = import_bundle(
            copy, parent=upload.parent, dry_run=upload.dry_run, user=upload.user
        )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return JsonResponse(report.as_json(), status=200 if report.ok else 400)


def authenticated_user(request):
    """The token's user, or the 401 refusal. The token is kept as `request.api_token`."""
    request.api_token = bearer_token(request)
    user = request.api_token.user if request.api_token else None
    if user is None:
        return None, error(
            401,
            "a valid API token is required (Authorization: Bearer <token>)",
            where="Authorization",
            **{"WWW-Authenticate": "Bearer"},
        )
    return user, None


@dataclass
class Upload:
    """A bundle upload that passed the checks made before anything is imported."""

    user: object
    parent: object  # the catalogue page, or None: the import creates one
    target: object  # the page rights were checked on (the catalogue, or the site's root)
    file: object  # the UploadedFile
    dry_run: bool


def checked_upload(request):
    """The checks of both import endpoints, in order: token, `?parent=`, rights on it,
    size, the `bundle` field. Returns an Upload, or the refusal (a JsonResponse)."""
    limit = settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE
    user, refusal = authenticated_user(request)
    if refusal:
        return refusal
    # Rights are checked on the page the products will go under: resolve it first.
    try:
        parent = find_catalogue(request.GET.get("parent"), user)
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
    return Upload(user, parent, target, upload, dry_run)


def bundle_file_name(name):
    """The uploaded file's name as a safe file name that reports can show: its last path
    segment, without control characters, at most MAX_NAME_BYTES bytes of UTF-8 (the stem cut
    on a character boundary), still ending in `.zip` (the view accepts nothing else)."""
    name = "".join(c for c in re.split(r"[/\\]", name)[-1] if c.isprintable())
    stem, suffix = name[:-4], name[-4:]
    if suffix.lower() != ".zip":
        stem, suffix = name, ".zip"
    stem = stem.encode("utf-8", "replace")[: MAX_NAME_BYTES - len(suffix)]
    return (stem.decode("utf-8", "ignore").strip() or "bundle") + suffix
