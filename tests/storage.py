"""A storage that counts the calls which would reach the backend (a disk, or S3 over the
network), so tests can prove that rendering a page makes none."""

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
