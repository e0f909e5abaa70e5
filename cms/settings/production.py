"""Production: DEBUG off, secrets and hosts from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *

DEBUG = False

if "DJANGO_SECRET_KEY" not in os.environ:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]

# A worker (`manage.py db_worker`) runs background tasks, outside the web requests.
TASKS = {"default": {"BACKEND": TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "database")]}}

# Hashed file names, so browsers can cache theme assets for ever.
STORAGES["staticfiles"]["BACKEND"] = (
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
)
