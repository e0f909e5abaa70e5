"""Production: DEBUG off, secrets and hosts from the environment, HTTPS behind a proxy.

`manage.py check --deploy --settings=cms.settings.production` is clean with the environment
the README documents (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, and behind TLS the defaults).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *

DEBUG = False

if "DJANGO_SECRET_KEY" not in os.environ:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]

# A worker (`manage.py db_worker`) runs background tasks, outside the web requests.
TASKS = {"default": {"BACKEND": TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "database")]}}

# Static files: hashed names (cached for ever) and compressed copies, served by WhiteNoise
# when the app server is reached directly, or by nginx from STATIC_ROOT (cms/deploy/).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "whitenoise.middleware.WhiteNoiseMiddleware",
)
STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"

# HTTPS: the proxy in front terminates TLS and says so in X-Forwarded-Proto. HTTPS=false is
# for a plain-HTTP setup on a private network (the integration tests): no redirect, no HSTS,
# cookies not marked secure.
HTTPS = os.environ.get("HTTPS", "true").lower() != "false"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600)) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# Headers on every response (SecurityMiddleware, XFrameOptionsMiddleware): no MIME sniffing,
# referrer only to this site, no framing (Wagtail lets its own previews be framed).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
