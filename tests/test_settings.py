"""Configuration: what each settings module gives, and what the environment changes."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_MODULES = ["cms.settings.dev", "cms.settings.production", "cms.settings.test"]
# Production refuses weak keys: a throwaway strong one for reading its settings.
STRONG_KEY = secrets.token_urlsafe(50)


def read_settings(module, env=None, names=()):
    """Import a settings module in a fresh interpreter and return the named values."""
    code = (
        "import importlib, json, sys; m = importlib.import_module(sys.argv[1]); "
        "print(json.dumps({n: str(getattr(m, n)) for n in sys.argv[2:]}))"
    )
    clean_env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE", "REDIS", "S3_", "FRONTEND_CACHE"))
    }
    clean_env.pop("MEDIA_ROOT", None)
    result = subprocess.run(
        [sys.executable, "-c", code, module, *names],
        cwd=BASE_DIR,
        env={**clean_env, "DJANGO_SECRET_KEY": STRONG_KEY, **(env or {})},
        capture_output=True,
        text=True,
    )
    return result


@pytest.mark.parametrize("module", SETTINGS_MODULES)
def test_static_root_is_not_a_staticfiles_dir(module):
    result = read_settings(module, names=["STATIC_ROOT", "STATICFILES_DIRS", "MEDIA_ROOT"])
    values = json.loads(result.stdout)
    static_root = Path(values["STATIC_ROOT"])
    assert str(BASE_DIR / "static") in values["STATICFILES_DIRS"]
    assert static_root != BASE_DIR / "static"
    assert BASE_DIR / "static" not in static_root.parents
    assert static_root != Path(values["MEDIA_ROOT"])


def test_defaults_keep_runtime_data_in_ignored_folders():
    values = json.loads(
        read_settings(
            "cms.settings.dev", names=["MEDIA_ROOT", "STATIC_ROOT", "DATABASES", "DEBUG"]
        ).stdout
    )
    assert values["MEDIA_ROOT"] == str(BASE_DIR / "media")
    assert values["STATIC_ROOT"] == str(BASE_DIR / "var" / "staticfiles")
    assert str(BASE_DIR / "var" / "db.sqlite3") in values["DATABASES"]
    assert values["DEBUG"] == "True"
    ignored = (BASE_DIR / ".gitignore").read_text().split()
    assert {"/media/", "/var/", "/.venv/"} <= set(ignored)


def test_environment_moves_media_database_and_hosts(tmp_path):
    env = {
        "MEDIA_ROOT": str(tmp_path / "uploads"),
        "DATABASE_URL": "postgres://catalogue@127.0.0.1:5432/catalogue",
        "DJANGO_ALLOWED_HOSTS": "shop.example.com, www.example.com",
        "WAGTAILADMIN_BASE_URL": "https://shop.example.com",
    }
    names = ["MEDIA_ROOT", "DATABASES", "ALLOWED_HOSTS", "WAGTAILADMIN_BASE_URL"]
    values = json.loads(read_settings("cms.settings.production", env, names).stdout)
    assert values["MEDIA_ROOT"] == str(tmp_path / "uploads")
    assert "postgresql" in values["DATABASES"] and "'NAME': 'catalogue'" in values["DATABASES"]
    assert values["ALLOWED_HOSTS"] == "['shop.example.com', 'www.example.com']"
    assert values["WAGTAILADMIN_BASE_URL"] == "https://shop.example.com"


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-c", "import cms.settings.production"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


def test_production_debug_is_off():
    assert json.loads(read_settings("cms.settings.production", names=["DEBUG"]).stdout) == {
        "DEBUG": "False"
    }


def test_url_settings():
    assert settings.MEDIA_URL == "/media/"
    assert settings.STATIC_URL == "/static/"


@pytest.mark.django_db
def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_production_passes_the_deploy_checks_with_the_documented_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "catalogue.example",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_environment_switches_to_postgres_redis_and_s3():
    env = {
        "DATABASE_URL": "postgres://catalogue@127.0.0.1:5432/catalogue",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
        "S3_BUCKET": "media",
        "S3_RENDITIONS_BUCKET": "renditions",
        "S3_ENDPOINT_URL": "http://127.0.0.1:8333",
        "S3_PUBLIC_URL": "https://cdn.example/renditions/",
        "FRONTEND_CACHE_URL": "http://127.0.0.1:8080",
        "FRONTEND_CACHE_SECRET": "x" * 32,
    }
    names = ["DATABASES", "CACHES", "STORAGES", "INSTALLED_APPS", "WAGTAILFRONTENDCACHE"]
    result = read_settings("cms.settings.production", env=env, names=names)
    values = json.loads(result.stdout)
    assert "'ENGINE': 'django.db.backends.postgresql'" in values["DATABASES"]
    assert "'CONN_MAX_AGE': 600" in values["DATABASES"]
    assert "'CONN_HEALTH_CHECKS': True" in values["DATABASES"]
    assert "django.contrib.postgres" in values["INSTALLED_APPS"]
    assert values["CACHES"].count("django.core.cache.backends.redis.RedisCache") == 2
    assert "'LOCATION': 'redis://127.0.0.1:6379/4'" in values["CACHES"]  # renditions
    assert values["STORAGES"].count("storages.backends.s3.S3Storage") == 2
    assert "'file_overwrite': False" in values["STORAGES"]
    assert "'custom_domain': 'cdn.example/renditions'" in values["STORAGES"]
    assert "'querystring_auth': False" in values["STORAGES"]  # renditions only: public
    assert "'LOCATION': 'http://127.0.0.1:8080'" in values["WAGTAILFRONTENDCACHE"]


def run_production(code, env):
    """Run Python code with production settings set up, in a fresh interpreter."""
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=BASE_DIR,
        env={**clean_env, "DJANGO_SETTINGS_MODULE": "cms.settings.production", **env},
        capture_output=True,
        text=True,
    )


@pytest.mark.parametrize(
    "key",
    [
        "dev-only-insecure-key-do-not-use-in-production",  # the published development key
        "django-insecure-" + "x7Qp" * 12,  # what `startproject` generates, marked insecure
        "benchmark-only",  # short
        "a" * 60,  # long, but one character
    ],
)
def test_production_refuses_to_start_with_a_published_or_weak_secret_key(key):
    result = run_production("", {"DJANGO_SECRET_KEY": key})
    assert result.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is the development key or too weak" in (
        result.stderr
    )


def test_production_refuses_the_development_key_among_the_fallbacks():
    result = run_production(
        "",
        {
            "DJANGO_SECRET_KEY": STRONG_KEY,
            "DJANGO_SECRET_KEY_FALLBACKS": "dev-only-insecure-key-do-not-use-in-production",
        },
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY_FALLBACKS holds the development key" in result.stderr


def test_a_rotated_secret_key_keeps_signatures_and_api_tokens_valid_through_the_fallbacks():
    """Sessions are signed with the key (and Wagtail API tokens stored as an HMAC of it):
    what the old key made is still accepted while it is in DJANGO_SECRET_KEY_FALLBACKS."""
    old, new = secrets.token_urlsafe(50), secrets.token_urlsafe(50)
    code = (
        "import sys; from django.core import signing; from wagtail.models import APIToken; "
        f"value = signing.dumps('session data', key={old!r}, salt='django.contrib.sessions'); "
        "print(signing.loads(value, salt='django.contrib.sessions')); "
        f"print(APIToken.hash_token('wagtail_t', secret_key={old!r}) "
        "in APIToken.candidate_key_hashes('wagtail_t'))"
    )
    rotated = run_production(
        code, {"DJANGO_SECRET_KEY": new, "DJANGO_SECRET_KEY_FALLBACKS": f" {old} ,"}
    )
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout.split() == ["session", "data", "True"]

    without_fallback = run_production(code, {"DJANGO_SECRET_KEY": new})
    assert "BadSignature" in without_fallback.stderr
