"""Find rows whose files are missing and files that no row references (manage.py media_audit).

A file written inside a transaction that has not committed yet (an import, an upload, a
rendition being made) has no visible row: it looks orphaned. So `--delete` removes only files
older than a grace period (MEDIA_AUDIT_GRACE_SECONDS), and checks the database once more just
before deleting each one.

Import jobs keep their uploaded bundle under `import-jobs/` until they end
(products/jobs/models.py): a job that has not ended references it in its `bundle` field, so
it is not an orphan; an ended job has emptied that field, so a bundle left behind (a failed
delete) or one whose job row is gone is an orphan like any other, deleted after the grace
period. A job whose worker died stays `running` and keeps its bundle.

A replaced image's old files are retired, not orphans (cms/media/replaced.py): listed with the
end of their grace period (MEDIA_REPLACED_GRACE_SECONDS from their retirement), and deleted
by `--delete` once it has passed, unless a row uses the name again by then.
"""

import posixpath
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import FileField
from django.utils import timezone
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.models import get_rendition_storage

from cms.media.models import STORAGE_ERRORS, RetiredFile

MEDIA_FOLDERS = ("original_images", "images", "documents", "import-jobs")


@dataclass
class AuditReport:
    missing: list = field(default_factory=list)  # (kind, pk, file name)
    orphans: list = field(default_factory=list)  # file names
    deleted: list = field(default_factory=list)
    kept: list = field(default_factory=list)  # (file name, why it was not deleted)
    retired: list = field(default_factory=list)  # (file name, end of its grace period)


def storage_for(name):
    """Renditions (images/) may live in a storage of their own (the public S3 bucket)."""
    return get_rendition_storage() if name.startswith("images/") else default_storage


def stored_files(storage, folder):
    """Every file under `folder` in the storage, recursively. (Not `storage.exists(folder)`:
    object storage has no folders, only keys.)"""
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):  # nothing stored there yet
        return
    for name in files:
        yield posixpath.join(folder, name)
    for directory in directories:
        yield from stored_files(storage, posixpath.join(folder, directory))


def file_fields():
    """(model, field name) of every file field of every installed model: the library's
    models, and any other (Wagtail's own images, documents, avatars, pending uploads)."""
    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, FileField)
    ]


def referenced_files():
    """Every file name a row references now."""
    return {
        name
        for model, name_field in file_fields()
        for name in model._base_manager.values_list(name_field, flat=True)
        if name
    }


def is_referenced(name):
    """Whether a row references `name` now (one query per file field)."""
    return any(
        model._base_manager.filter(**{name_field: name}).exists()
        for model, name_field in file_fields()
    )


def audit_media(delete=False, grace=None):
    """Audit the library's files. With `delete`, remove the orphan files (never rows) that are
    older than `grace` seconds (default MEDIA_AUDIT_GRACE_SECONDS) and that still no row
    references just before deletion; the others are listed in `kept` with the reason."""
    Image = get_image_model()
    rows = [
        ("image", Image.objects.values_list("pk", "file")),
        ("rendition", Image.get_rendition_model().objects.values_list("pk", "file")),
        ("document", get_document_model().objects.values_list("pk", "file")),
    ]
    report = AuditReport()
    for kind, values in rows:
        for pk, name in values:
            if not storage_for(name).exists(name):
                report.missing.append((kind, pk, name))
    referenced = referenced_files()
    kept_for = timedelta(seconds=settings.MEDIA_REPLACED_GRACE_SECONDS)
    retired = {
        name: retired_at + kept_for
        for name, retired_at in RetiredFile.objects.values_list("name", "retired_at")
    }
    report.retired = sorted(retired.items())
    for folder in MEDIA_FOLDERS:
        for name in stored_files(storage_for(folder + "/"), folder):
            if name not in referenced and name not in retired:
                report.orphans.append(name)
    if delete:
        now = timezone.now()
        for name, until in report.retired:
            if until <= now:
                delete_retired(name)
                report.deleted.append(name)
        grace = settings.MEDIA_AUDIT_GRACE_SECONDS if grace is None else grace
        for name in report.orphans:
            reason = delete_orphan(name, grace)
            if reason:
                report.kept.append((name, reason))
            else:
                report.deleted.append(name)
    return report


def delete_orphan(name, grace):
    """Delete an orphan file unless it is younger than `grace` seconds or a row references it
    by now; return why it was kept, or None once deleted."""
    storage = storage_for(name)
    try:
        modified = storage.get_modified_time(name)
    except STORAGE_ERRORS as error:
        return f"its age could not be read ({error})"
    age = timezone.now() - modified
    if age < timedelta(seconds=grace):
        return (
            f"written {int(age.total_seconds())} s ago, within the grace period of {grace} s "
            "(its row may not be committed yet)"
        )
    if is_referenced(name):
        return "a row references it now (saved while the audit ran)"
    storage.delete(name)
    return None


def delete_retired(name):
    """Delete a retired file whose grace period is over (a row that uses the name again by
    now keeps it), then its record."""
    if not is_referenced(name):
        storage_for(name).delete(name)  # a file already gone is no error
    RetiredFile.objects.filter(name=name).delete()
