"""Settings shared by every environment.

The environment is read here (and in production.py for what only production needs), nowhere
else. Every variable is listed, with its default, in the README's configuration table.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Runtime data that is not media (the SQLite database, collected static files): ignored by git.
VAR_DIR = BASE_DIR / "var"


def env_list(name, default):
    """A comma-separated environment variable as a list of non-empty, trimmed items."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# A development-only default, published with the code: production.py refuses to start
# without DJANGO_SECRET_KEY, or with this one.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
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
    "axes",
]
if os.environ.get("DATABASE_URL", "").startswith("postgres"):
    INSTALLED_APPS.append("django.contrib.postgres")

MIDDLEWARE = [
    # First: reads what any answer left of the request body (cms/request_body.py).
    "cms.request_body.ReadWholeBodyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "cms.cache_headers.EdgeCacheMiddleware",
    "cms.canonical_urls.BareUrlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "cms.media.middleware.StorageUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its lockout response.
    "axes.middleware.AxesMiddleware",
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
        "OPTIONS": {
            **S3_OPTIONS,
            "bucket_name": S3_BUCKET,
            "default_acl": "private",
            # A file's URL is never a signed, working link to an original or a document: the
            # bucket refuses it without keys; the app reads files through the storage.
            "querystring_auth": False,
        },
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
# A URL with a query string (a listing filtered or paged, a search) is not refreshed on
# publish, only the bare URL is: shared caches keep it this long, so a product taken down
# leaves such variants within a minute.
PAGE_CACHE_VARIANT_S_MAXAGE = 60
# The cookie that lets an editor's requests past nginx's cache (cms/cache_headers.py) is
# renewed by every answer the app gives the session, and lasts this long: nginx cannot know
# that a session ended, so a copy outlives a sign-out by at most this.
EDGE_CACHE_BYPASS_MAX_AGE = 600
FRONTEND_CACHE_URL = os.environ.get("FRONTEND_CACHE_URL", "")
# Shared with nginx (cms/deploy/nginx/catalogue.conf, which holds it literally): it
# authenticates cache refreshes and signs the cookie that lets a logged-in editor past the cache.
FRONTEND_CACHE_SECRET = os.environ.get("FRONTEND_CACHE_SECRET", "")
if FRONTEND_CACHE_SECRET and not re.fullmatch(r"[A-Za-z0-9_-]{32,}", FRONTEND_CACHE_SECRET):
    raise ImproperlyConfigured(
        "FRONTEND_CACHE_SECRET must be 32 or more letters, digits, - or _ "
        "(it is written into nginx's configuration)."
    )
if FRONTEND_CACHE_URL:
    if not FRONTEND_CACHE_SECRET:
        raise ImproperlyConfigured(
            "FRONTEND_CACHE_URL is set but FRONTEND_CACHE_SECRET is not: nginx ignores "
            "refreshes without the secret of its configuration."
        )
    WAGTAILFRONTENDCACHE = {
        "nginx": {
            "BACKEND": "cms.frontend_cache.RefreshBackend",
            "LOCATION": FRONTEND_CACHE_URL,
            "SECRET": FRONTEND_CACHE_SECRET,
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
# Office files and zips inflating more than this many times their size are refused as bombs.
MEDIA_MAX_ZIP_RATIO = 100
# Stored file names (after cleaning) in UTF-8 bytes: disks take 255, Wagtail adds folders
# and a suffix when a name is taken.
MEDIA_MAX_FILENAME_BYTES = 200
# Documents go through Wagtail's serve view: privacy checks, Content-Security-Policy,
# nosniff, attachment disposition for anything but PDFs.
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Originals larger than this are listed in the admin's media health report.
MEDIA_OVERSIZED_BYTES = 5 * 1024 * 1024
MEDIA_OVERSIZED_PIXELS = 6000
# `media_audit --delete` deletes only orphan files older than this: a file saved inside a
# transaction that has not committed yet (an import, an upload) has no row yet.
MEDIA_AUDIT_GRACE_SECONDS = 3600
# A replaced image's old original and renditions stay this long, so that pages held by the
# edge cache or a browser keep loading them; then `media_audit --delete` deletes them
# (cms/media/replaced.py).
MEDIA_REPLACED_GRACE_SECONDS = 24 * 3600
# AVIF encoder speed (0 slowest and smallest, 10 fastest) for renditions made ahead of time
# (cms/media/rendition_sets.py); measured in docs/media-pipeline.md.
MEDIA_AVIF_SPEED = 8
# PDF previews and text (cms/media/previews.py, docs/media-pipeline.md): made in a child
# process (cms/media/pdf_worker.py) under these limits; a PDF over one gets no preview and a
# note in the media health report. The first page is rendered to fit the box (pixels).
MEDIA_PDF_PREVIEW_BOX = (480, 720)
MEDIA_PDF_MAX_PAGES = 5000  # a PDF with more pages is refused
MEDIA_PDF_TEXT_PAGES = 20  # text is read from this many first pages...
MEDIA_PDF_TEXT_MAX_CHARS = 100_000  # ...up to this many characters
MEDIA_PDF_TIMEOUT_SECONDS = 30  # wall time, then the child is killed
MEDIA_PDF_CPU_SECONDS = 20
MEDIA_PDF_MEMORY_BYTES = 512 * 1024 * 1024
# Threads making one image's renditions (Pillow's codecs release the GIL); None: cores + 1.
MEDIA_RENDITION_THREADS = None
# Perceptual hashes at most this many bits apart are near-duplicates (cms/media/duplicates.py):
# re-encoded or resized copies are 0-2 bits apart, different photos 6 or more.
MEDIA_DUPLICATE_DISTANCE = 4

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
# Import jobs one user may have that have not ended (each keeps its bundle until it ends).
CATALOGUE_IMPORT_MAX_OPEN_JOBS = 3
# A running import job silent this long (no progress saved) lost its worker: the next job on
# its catalogue ends it, and a cancel ends it at once. Longer than any planning step.
CATALOGUE_IMPORT_JOB_STALE_SECONDS = 30 * 60
# Bundle limits, checked from a zip's directory before anything is inflated and again while
# reading: the manifest's size, the number of entries, everything unpacked together.
CATALOGUE_MANIFEST_MAX_SIZE = 20 * 1024 * 1024
CATALOGUE_BUNDLE_MAX_ENTRIES = 10_000
CATALOGUE_MAX_PRODUCTS = 10_000  # products one manifest may list, checked before reading them
CATALOGUE_BUNDLE_MAX_INFLATED_SIZE = 2 * 1024 * 1024 * 1024

# Demo content (manage.py load_demo): the local superuser it creates, only with DEBUG on. The
# README publishes the default password: with DEBUG off it signs nobody in (cms/login.py).
PUBLISHED_DEMO_PASSWORD = "catalogue-admin"  # noqa: S105 - refused, not used, in production
DEMO_ADMIN_USERNAME = os.environ.get("DEMO_ADMIN_USERNAME", "admin")
DEMO_ADMIN_PASSWORD = os.environ.get("DEMO_ADMIN_PASSWORD", PUBLISHED_DEMO_PASSWORD)

# Signing in (cms/login.py). django-axes checks first: after AXES_FAILURE_LIMIT wrong passwords
# for one username from one address, that pair is refused, the right password too, for
# AXES_COOLOFF_TIME. Username and address together: by username alone anyone could lock an
# editor out from anywhere; by address alone, one office behind one NAT would lock itself.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "cms.login.DemoPasswordRefusingBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cms.login.lockout_response"
AXES_CLIENT_IP_CALLABLE = "cms.login.client_ip"
AXES_ENABLE_ADMIN = False  # its log is for Django's admin, which this site does not run
# Proxies in front that append the client's address to X-Forwarded-For (production: nginx).
# None here: the header is the client's to forge, so the peer address is the client.
TRUSTED_PROXY_COUNT = 0

# Sessions: an admin idle for SESSION_IDLE_TIMEOUT seconds is signed out. Each request saves
# the session and so moves its expiry on; "remember me" at sign-in keeps the same limit.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_TIMEOUT", 2 * 3600))
SESSION_SAVE_EVERY_REQUEST = True

# The admin makes no third-party requests: Wagtail's default avatar, not Gravatar (which would
# receive a hash of each editor's e-mail address), unless a provider URL is configured.
WAGTAIL_GRAVATAR_PROVIDER_URL = os.environ.get("WAGTAIL_GRAVATAR_PROVIDER_URL") or None
