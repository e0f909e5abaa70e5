"""Request bodies are read to their end whatever the answer (cms/request_body.py): gunicorn
closes a connection on the unread rest, and nginx then answers 502 instead (through nginx:
tests/scale/test_two_nodes.py::test_large_bodies_reach_only_the_import_endpoint)."""

import pytest
from django.test import Client

BODY = b"0" * (1024 * 1024)

pytestmark = pytest.mark.django_db


def test_a_body_the_import_api_refused_unread_is_read_to_its_end(client):
    response = client.post(
        "/api/catalogue/import/",
        data=BODY,
        content_type="application/zip",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401
    assert response.wsgi_request.read(1) == b""


def test_a_body_refused_for_its_missing_csrf_token_is_read_to_its_end():
    response = Client(enforce_csrf_checks=True).post(
        "/admin/catalogue-import/", data=BODY, content_type="application/zip"
    )
    assert response.status_code == 403
    assert response.wsgi_request.read(1) == b""


def test_a_body_larger_than_any_url_takes_is_left_unread(client, settings):
    settings.CATALOGUE_IMPORT_MAX_UPLOAD_SIZE = len(BODY) - 1
    response = client.post(
        "/api/catalogue/import/",
        data=BODY,
        content_type="application/zip",
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert response.status_code == 401
    assert response.wsgi_request.read(1) == b"0"
