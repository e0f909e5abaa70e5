"""Find rows whose files are missing and files that no row references (manage.py media_audit)."""

import posixpath
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.models import get_rendition_storage

MEDIA_FOLDERS = ("original_images", "images", "documents")


@dataclass
class AuditReport:
    missing: list = field(default_factory=list)  # (kind, pk, file name)
    orphans: list = field(default_factory=list)  # file names
    deleted: list = field(default_factory=list)


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


def audit_media(delete=False):
    """Audit the library's files. With `delete`, remove the orphan files (never rows)."""
    Image = get_image_model()
    rows = [
        ("image", Image.objects.values_list("pk", "file")),
        ("rendition", Image.get_rendition_model().objects.values_list("pk", "file")),
        ("document", get_document_model().objects.values_list("pk", "file")),
    ]
    report = AuditReport()
    referenced = set()
    for kind, values in rows:
        for pk, name in values:
            referenced.add(name)
            if not storage_for(name).exists(name):
                report.missing.append((kind, pk, name))
    for folder in MEDIA_FOLDERS:
        for name in stored_files(storage_for(folder + "/"), folder):
            if name not in referenced:
                report.orphans.append(name)
    if delete:
        for name in report.orphans:
            storage_for(name).delete(name)
            report.deleted.append(name)
    return report
