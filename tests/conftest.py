import shutil

import pytest
from django.conf import settings
from django.urls import clear_url_caches

_SESSION_MEDIA_ROOT = settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes media into its own temporary folder, never the real MEDIA_ROOT."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


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
