"""Settings shared by every environment.

The environment is read here (and in production.py for what only production needs), nowhere
else. Every variable is listed, with its default, in the README's configuration table.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime data that is not media (the SQLite database, collected static files): ignored by git.
VAR_DIR = BASE_DIR / "var"


def env_list(name, default):
    """A comma-separated environment variable as a list of non-empty, trimmed items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A development-only default; production.py refuses to start without DJANGO_SECRET_KEY.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = False
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "cms.media",
    "cms.demo",
    "home",
    "products",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.api.v2",
    "rest_framework",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_tasks_db",
    "wagtail.contrib.frontend_cache",
    "csp",
]
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    INSTALLED_APPS.append("django.contrib.postgres")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "cms.cache_headers.EdgeCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "cms.media.middleware.StorageUnavailableMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL (e.g. postgres://user@127.0.0.1:5432/catalogue), else a SQLite file in
# the ignored var/ folder.
if "DATABASE_URL" in os.environ:
    # Persistent connections, checked before a request reuses one (a restarted database then
    # costs one failed request, not every request of a worker).
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=600, conn_health_checks=True
        )
    }
else:
    # SQLite does not create missing folders; var/ is ignored, so a fresh clone lacks it.
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {"default": dj_database_url.parse(f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Requests write at once (the admin autosaves a page while it is being published): take
    # the write lock when a transaction begins and wait for it, instead of failing with
    # "database is locked"; WAL lets readers go on while one request writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: theme assets live in the top-level static/ folder (STATICFILES_DIRS);
# collectstatic copies them, with Wagtail's admin assets, into STATIC_ROOT, a different and
# ignored folder that a web server serves in production.
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]

# Media: uploads (original_images/, images/ for renditions, documents/) live outside the code,
# in an ignored folder by default; set MEDIA_ROOT to put them anywhere else.
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# S3-compatible object storage, when a bucket is configured (several app servers share it).
# Two buckets: S3_BUCKET, private, holds originals and documents, which only Wagtail serves
# (its views check privacy); S3_RENDITIONS_BUCKET, readable by anyone, holds renditions,
# linked at S3_PUBLIC_URL (the bucket itself, or a web server or CDN in front of it).
S3_BUCKET = os.environ.get("S3_BUCKET", "")
if S3_BUCKET:
    S3_OPTIONS = {
        "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
        "access_key": os.environ.get("S3_ACCESS_KEY_ID"),
        "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY"),
        "region_name": os.environ.get("S3_REGION", "us-east-1"),
        "addressing_style": "path",
        "signature_version": "s3v4",
        "file_overwrite": False,  # a new upload never replaces another file's key
    }
    S3_PUBLIC_URL = urlsplit(os.environ["S3_PUBLIC_URL"].rstrip("/"))
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**S3_OPTIONS, "bucket_name": S3_BUCKET, "default_acl": "private"},
    }
    STORAGES["renditions"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **S3_OPTIONS,
            "bucket_name": os.environ["S3_RENDITIONS_BUCKET"],
            "querystring_auth": False,
            "url_protocol": f"{S3_PUBLIC_URL.scheme}:",
            "custom_domain": S3_PUBLIC_URL.netloc + S3_PUBLIC_URL.path,
        },
    }
    WAGTAILIMAGES_RENDITION_STORAGE = "renditions"

# Caches: Wagtail keeps renditions in a "renditions" cache when there is one, else in the
# default cache, where hundreds of them would evict everything else (site root paths, ...).
# With REDIS_URL both live in Redis, shared by every app server; else in each process.
# Each cache has its own Redis database (clearing one empties its whole database): the
# renditions cache uses the database after REDIS_URL's, unless REDIS_RENDITIONS_URL says.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    redis_url = urlsplit(REDIS_URL)
    redis_db = int(redis_url.path.strip("/") or 0)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        },
        "renditions": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get(
                "REDIS_RENDITIONS_URL", redis_url._replace(path=f"/{redis_db + 1}").geturl()
            ),
            "TIMEOUT": 24 * 3600,
        },
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "default",
        },
        "renditions": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "renditions",
            "TIMEOUT": 600,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        },
    }

# Public pages may be kept by browsers for PAGE_CACHE_MAX_AGE seconds and by a shared cache
# (nginx, a CDN) for PAGE_CACHE_S_MAXAGE; Wagtail purges the shared cache when a page is
# published, unpublished or moved (FRONTEND_CACHE_URL). Admin, previews, private pages and
# logged-in users are never cached (cms/cache_headers.py).
PAGE_CACHE_MAX_AGE = 60
PAGE_CACHE_S_MAXAGE = 600
FRONTEND_CACHE_URL = os.environ.get("FRONTEND_CACHE_URL", "")
if FRONTEND_CACHE_URL:
    WAGTAILFRONTENDCACHE = {
        "nginx": {
            "BACKEND": "cms.frontend_cache.RefreshBackend",
            "LOCATION": FRONTEND_CACHE_URL,
        }
    }

# Content-Security-Policy for the site's own pages (django-csp); Wagtail's admin sets its own
# needs and is left out. Images may also come from the renditions' public URL.
MEDIA_ORIGINS = [f"{S3_PUBLIC_URL.scheme}://{S3_PUBLIC_URL.netloc}"] if S3_BUCKET else []
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/admin/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:", *MEDIA_ORIGINS],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Complex page models can exceed Django's default of 1000 fields per form in the editor.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Wagtail
WAGTAIL_SITE_NAME = "Catalogue"
WAGTAILADMIN_BASE_URL = os.environ.get("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}

# Media library: models, upload forms and limits (checked by cms/media/validation.py on
# every way in: admin forms, imports, code).
WAGTAILIMAGES_IMAGE_MODEL = "media.CustomImage"
WAGTAILDOCS_DOCUMENT_MODEL = "media.CustomDocument"
WAGTAILIMAGES_IMAGE_FORM_BASE = "cms.media.forms.ImageForm"
WAGTAILDOCS_DOCUMENT_FORM_BASE = "cms.media.forms.DocumentForm"
WAGTAILIMAGES_EXTENSIONS = ["avif", "gif", "jpg", "jpeg", "png", "webp"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 128_000_000  # width x height x frames
MEDIA_MAX_FRAMES = 500
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
MEDIA_MAX_ZIP_INFLATED_SIZE = 200 * 1024 * 1024  # office files and zips, unpacked
MEDIA_MAX_ZIP_ENTRIES = 10_000
# Documents go through Wagtail's serve view: privacy checks, Content-Security-Policy,
# nosniff, attachment disposition for anything but PDFs.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Originals larger than this are listed in the admin's media health report.
MEDIA_OVERSIZED_BYTES = 5 * 1024 * 1024
MEDIA_OVERSIZED_PIXELS = 6000

# Background tasks (django-tasks): renditions ahead of time, search and reference indexing,
# file deletion. "immediate" runs them in-process (development, tests); "database" queues
# them for `manage.py db_worker` (production's default).
TASK_BACKENDS = {
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "dummy": "django_tasks.backends.dummy.DummyBackend",  # recorded, never run (benchmarks)
}
TASKS = {"default": {"BACKEND": TASK_BACKENDS[os.environ.get("TASKS_BACKEND", "immediate")]}}

# The currency of product prices (ISO 4217), shown on pages and in schema.org offers.
CATALOGUE_CURRENCY = "EUR"

# The largest bundle POST /api/catalogue/import/ accepts.
CATALOGUE_IMPORT_MAX_UPLOAD_SIZE = 512 * 1024 * 1024

# Demo content (manage.py load_demo): the local superuser it creates.
DEMO_ADMIN_USERNAME = os.environ.get("DEMO_ADMIN_USERNAME", "admin")
DEMO_ADMIN_PASSWORD = os.environ.get("DEMO_ADMIN_PASSWORD", "catalogue-admin")
