"""A storage that counts the calls which would reach the backend (a disk, or S3 over the
network), so tests can prove that rendering a page makes none."""

import io
from collections import Counter

from django.core.files.storage import FileSystemStorage


class CountingStorage(FileSystemStorage):
    calls = Counter()

    def _count(name):  # noqa: N805 - a decorator factory used in the class body
        def wrap(method):
            def counted(self, *args, **kwargs):
                CountingStorage.calls[name] += 1
                return method(self, *args, **kwargs)

            return counted

        return wrap

    _open = _count("open")(FileSystemStorage._open)
    _save = _count("save")(FileSystemStorage._save)
    exists = _count("exists")(FileSystemStorage.exists)
    size = _count("size")(FileSystemStorage.size)
    listdir = _count("listdir")(FileSystemStorage.listdir)
    delete = _count("delete")(FileSystemStorage.delete)
    get_modified_time = _count("get_modified_time")(FileSystemStorage.get_modified_time)
    get_created_time = _count("get_created_time")(FileSystemStorage.get_created_time)
    get_accessed_time = _count("get_accessed_time")(FileSystemStorage.get_accessed_time)


class StoredMedia:
    """The test's media files, wherever STORAGES keeps them: the test's temporary MEDIA_ROOT,
    or the S3 buckets (renditions in their own). Names are storage names, e.g. "images/x.jpg"."""

    def storage(self, name):
        from cms.media.audit import storage_for

        return storage_for(name)

    def exists(self, name):
        return self.storage(name).exists(name)

    def read(self, name):
        with self.storage(name).open(name) as f:
            return f.read()

    def open(self, name):
        """A file object Pillow can read."""
        return io.BytesIO(self.read(name))

    def delete(self, name):
        self.storage(name).delete(name)

    def names(self, folder=""):
        """Every stored name under a folder ("" for all), sorted: what media_audit lists."""
        from cms.media.audit import MEDIA_FOLDERS, stored_files

        found = set()
        for top in MEDIA_FOLDERS:
            if top.startswith(folder) or folder.startswith(top):
                found.update(stored_files(self.storage(top + "/"), top))
        return sorted(name for name in found if name.startswith(folder))


def empty_buckets():
    """S3 has no temporary folders: each test starts from empty buckets instead."""
    from django.core.files.storage import storages

    for alias in ("default", "renditions"):
        storages[alias].bucket.objects.all().delete()


def renditions_url(absolute_base="http://localhost"):
    """Where rendition URLs start: MEDIA_URL's images/ folder on the site (the test Site's
    root URL, not the request's host), or the public renditions bucket; as a full URL."""
    from wagtail.images.models import get_rendition_storage

    url = get_rendition_storage().url("images/")
    return url if url.startswith("http") else absolute_base + url
