"""Production: DEBUG off, secrets and hosts from the environment, HTTPS behind a proxy.

`manage.py check --deploy --settings=cms.settings.production` is clean with the environment
the README documents (DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS, and behind TLS the defaults).
"""

import os

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

from .base import *

DEBUG = False

if "DJANGO_SECRET_KEY" not in os.environ:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production.")
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
# Django's own measure of a strong key (`check --deploy`), enforced here at start: a weak or
# published key lets anyone forge sessions and API token hashes.
if (
    SECRET_KEY == DEVELOPMENT_SECRET_KEY
    or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
    or len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
    or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
):
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY is the development key or too weak for production: use at least "
        f"{SECRET_KEY_MIN_LENGTH} random characters, e.g. from "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
# Rotating the key: put the new one in DJANGO_SECRET_KEY and the old ones, comma-separated, in
# DJANGO_SECRET_KEY_FALLBACKS; sessions and API tokens made under them stay valid until they
# are removed from it.
SECRET_KEY_FALLBACKS = env_list("DJANGO_SECRET_KEY_FALLBACKS", "")
if DEVELOPMENT_SECRET_KEY in SECRET_KEY_FALLBACKS:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY_FALLBACKS holds the development key, which anyone can read."
    )

# nginx, in front, appends the client's address to X-Forwarded-For (cms/login.py).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 1))

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

# Logs go to stderr (gunicorn's error log), one JSON object per line, tracebacks included:
# a request error is one line. Django's defaults would log nothing here (console only with
# DEBUG, e-mail to ADMINS). LOG_LEVEL: DEBUG, INFO (default), WARNING, ERROR.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json_line": {"()": "cms.log_format.JSONLineFormatter"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
            "formatter": "json_line",
        }
    },
    # The app's loggers (cms, products, wagtail, ...) reach stderr through the root.
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    # Django's own handlers are replaced, so django.request logs each error once.
    "loggers": {"django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False}},
}
