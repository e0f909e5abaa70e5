import shutil

import pytest
from django.conf import settings
from django.core.cache import caches
from django.urls import clear_url_caches

_SESSION_MEDIA_ROOT = settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes media into its own temporary folder, never the real MEDIA_ROOT; with
    S3 storage (the scale run), into emptied buckets."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.S3_BUCKET:
        from tests.storage import empty_buckets

        empty_buckets()
    return settings.MEDIA_ROOT


@pytest.fixture
def media():
    """The stored media files, through the storages (local folder or S3)."""
    from tests.storage import StoredMedia

    return StoredMedia()


@pytest.fixture(autouse=True)
def empty_caches():
    """Ids and content hashes repeat from test to test (each test's rows are rolled back), so
    a cached rendition from an earlier test would point at a file that is gone."""
    for cache in caches.all(initialized_only=True):
        cache.clear()


@pytest.fixture
def queued(settings):
    """Tasks are recorded, never run (django-tasks' dummy backend): whatever exists afterwards
    was made by the code under test itself. `queued.results` are the tasks it queued."""
    from django_tasks import task_backends

    settings.TASKS = {"default": {"BACKEND": settings.TASK_BACKENDS["dummy"]}}
    backend = task_backends["default"]
    backend.clear()
    return backend


@pytest.fixture
def home(db):
    from home.models import HomePage

    return HomePage.objects.get()


@pytest.fixture
def catalogue(home):
    from tests.factories import ProductIndexPageFactory

    return ProductIndexPageFactory(parent=home)


@pytest.fixture
def reload_urls():
    """Re-import the URLconf so that patterns decided at import time (DEBUG) follow settings."""
    import importlib

    import cms.urls

    def reload():
        importlib.reload(cms.urls)
        clear_url_caches()

    yield reload
    reload()


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_MEDIA_ROOT, ignore_errors=True)
    shutil.rmtree(settings.TEST_DATA_DIR, ignore_errors=True)
