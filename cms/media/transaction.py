"""Remove the files written inside a transaction that rolls back.

Django writes a file to storage when its row is saved, and removes nothing when the
transaction rolls back. Code that saves media inside a transaction uses `atomic()` from here
instead of Django's: files written in the block are deleted if it fails. Anything written
inside a plain `transaction.atomic` that rolled back is found by `manage.py media_audit`.
"""

import contextvars
import logging
from contextlib import contextmanager

from django.db import transaction

logger = logging.getLogger(__name__)
_written = contextvars.ContextVar("media_files_written", default=None)


@contextmanager
def atomic(using=None):
    """`transaction.atomic()` that also deletes the media files written inside on failure."""
    outer = _written.get()
    files = []
    token = _written.set(files)
    try:
        with transaction.atomic(using=using):
            yield
    except BaseException:
        for storage, name in files:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001 - cleanup must not hide the original error
                logger.exception("Could not delete %s after a rollback", name)
        raise
    else:
        if outer is not None:
            outer.extend(files)  # an enclosing block may still roll back
    finally:
        _written.reset(token)


def written(storage, name):
    """Record a file written by a model save (called from cms/media/models.py)."""
    files = _written.get()
    if files is not None:
        files.append((storage, name))
