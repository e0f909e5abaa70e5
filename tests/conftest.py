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
def clock(monkeypatch):
    """The site's date (cms/clock.py) under the test's control: `clock.today = date(...)`."""
    import datetime

    from cms import clock as site_clock

    class Clock:
        today = datetime.date(2026, 6, 15)

        def advance(self, days):
            self.today += datetime.timedelta(days=days)

    fixed = Clock()
    monkeypatch.setattr(site_clock, "today", lambda: fixed.today)
    return fixed


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


# pytest-xdist (`-n 2`: Makefile, PARALLEL). The modules that start a site for their tests,
# which build on each other, must run whole on one worker; every other test may go anywhere,
# but in collection order, where pytest-django puts the transactional tests last (each leaves
# the database empty behind it). xdist's `loadfile` breaks that order, and its `loadgroup`
# groups nothing under pytest 9 (it renames item._nodeid, which pytest 9 no longer reads).
SITE_MODULES = {"tests/scale/test_one_node.py", "tests/scale/test_two_nodes.py"}


@pytest.hookimpl(optionalhook=True)  # a hook of xdist's: none without it (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """For `-n` with xdist's default `--dist load`: each test on its own, in collection order,
    except each site module, sent whole to one worker; the largest units first (xdist's
    --loadscope-reorder), so no worker is left alone with a site module at the end."""
    if config.getvalue("dist") != "load":
        return None  # another --dist, asked for by name
    from xdist.scheduler import LoadScopeScheduling

    class SiteModulesWhole(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            module = nodeid.split("::", 1)[0]
            return module if module in SITE_MODULES else nodeid

    return SiteModulesWhole(config, log)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_SESSION_MEDIA_ROOT, ignore_errors=True)
    shutil.rmtree(settings.TEST_DATA_DIR, ignore_errors=True)
