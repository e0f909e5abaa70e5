"""Tests: media goes to a throwaway folder, never into the real MEDIA_ROOT."""

import tempfile
from pathlib import Path

from .base import *

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105 - tests only
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]

# Removed at the end of the test session by tests/conftest.py.
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="catalogue-test-media-"))

# A file, not SQLite's default in-memory test database: commands that fork worker processes
# (warm_renditions --jobs) must see the same data. One folder per test run, so that two runs
# on one machine never share a database (removed by tests/conftest.py).
TEST_DATA_DIR = Path(tempfile.mkdtemp(prefix="catalogue-test-db-"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(TEST_DATA_DIR / "test.sqlite3")}

# Fast password hashing: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
