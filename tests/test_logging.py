"""Production logging: every request error is one line on stderr (gunicorn's error log),
with the exception and its traceback."""

import io
import json
import logging
import logging.config
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from home.models import HomePage
from tests.products.catalogue_helpers import MANIFEST, write_bundle, zip_folder
from tests.products.test_import_http import post, token_for

BASE_DIR = Path(__file__).resolve().parent.parent


def production_logging(env=None):
    """LOGGING of cms.settings.production, read in a fresh interpreter (importing it here
    would change the test settings it shares lists with)."""
    code = (
        "import json; from cms.settings import production; print(json.dumps(production.LOGGING))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k != "LOG_LEVEL"},
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            **(env or {}),
        },
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture
def production_logs():
    """Production's logging, its stderr handler writing into a buffer instead; the loggers
    are restored after."""
    manager = logging.Logger.manager
    loggers = [logging.getLogger()] + [
        logger for logger in manager.loggerDict.values() if isinstance(logger, logging.Logger)
    ]
    saved = [
        (logger, list(logger.handlers), logger.level, logger.propagate, logger.disabled)
        for logger in loggers
    ]
    config = production_logging()
    assert config["handlers"]["stderr"]["stream"] == "ext://sys.stderr"
    logging.config.dictConfig(config)
    stderr = io.StringIO()
    (handler,) = logging.getLogger().handlers
    assert logging.getLogger("django").handlers == [handler]
    handler.setStream(stderr)
    try:
        yield lambda: stderr.getvalue().splitlines()
    finally:
        for logger, handlers, level, propagate, disabled in saved:
            logger.handlers[:] = handlers
            logger.level, logger.propagate, logger.disabled = level, propagate, disabled


def failing_context(self, request, *args, **kwargs):
    raise RuntimeError("the home page broke")


@pytest.mark.django_db
def test_a_view_that_raises_logs_one_line_with_its_traceback(
    client, home, production_logs, monkeypatch
):
    monkeypatch.setattr(HomePage, "get_context", failing_context)
    client.raise_request_exception = False
    assert client.get("/").status_code == 500
    lines = production_logs()
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR" and entry["logger"] == "django.request"
    assert entry["status"] == 500 and entry["path"] == "/"
    assert "RuntimeError: the home page broke" in entry["exception"]
    # The traceback's frames, from Django's handler down to the failing method.
    assert "Traceback (most recent call last)" in entry["exception"]
    assert 'django/core/handlers/base.py", line' in entry["exception"]
    assert "in failing_context" in entry["exception"]


@pytest.mark.django_db
def test_an_internal_error_of_the_import_is_json_and_one_log_line(
    client, tmp_path, admin_user, production_logs, monkeypatch
):
    def broken_import(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr("products.views_api.import_bundle", broken_import)
    client.raise_request_exception = False
    bundle = zip_folder(write_bundle(tmp_path / "b", MANIFEST), tmp_path / "b.zip")
    response = post(client, bundle, token_for(admin_user))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"][0]["where"] == "import"
    lines = production_logs()
    assert len(lines) == 1, lines
    entry = json.loads(lines[0])
    assert entry["status"] == 500 and entry["path"] == "/api/catalogue/import/"
    assert "KeyError: 'surprise'" in entry["exception"]
    assert "in broken_import" in entry["exception"]


@pytest.mark.django_db
def test_a_refused_request_is_one_warning_line(client, production_logs):
    assert client.post("/api/catalogue/import/").status_code == 401
    lines = production_logs()
    assert len(lines) == 1 and json.loads(lines[0])["level"] == "WARNING"


def test_log_level_from_the_environment():
    assert production_logging()["root"]["level"] == "INFO"
    config = production_logging({"LOG_LEVEL": "warning"})
    assert config["root"]["level"] == config["loggers"]["django"]["level"] == "WARNING"


@pytest.mark.django_db
def test_refusals_of_the_import_endpoint_are_json(client, admin_user):
    """Not Django's HTML pages: a client reading the endpoint's JSON always can."""
    auth = {"Authorization": f"Bearer {token_for(admin_user)}"}
    wrong_method = client.get("/api/catalogue/import/", headers=auth)
    assert wrong_method.status_code == 405 and wrong_method["Allow"] == "POST"
    no_boundary = client.post(
        "/api/catalogue/import/", b"--x--", content_type="multipart/form-data", headers=auth
    )
    assert no_boundary.status_code == 400
    bad_length = client.post(
        "/api/catalogue/import/", {"x": "1"}, headers=auth, CONTENT_LENGTH="many"
    )
    assert bad_length.status_code == 400
    assert bad_length.json()["errors"][0]["where"] == "bundle"
    for response in (wrong_method, no_boundary, bad_length):
        assert response["Content-Type"] == "application/json"
    assert no_boundary.json()["errors"][0]["where"] == "request"
