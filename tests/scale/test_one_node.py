"""One machine in production: gunicorn, SQLite and media on the local disk behind nginx
(cms/deploy/nginx/ with media-local.conf): static files and renditions come from nginx with
long-lived caching, originals and documents never do."""

import re

import pytest
import requests

from tests.scale.nodes import one_node_local_media

ADD_IMAGE = """
from django.core.files.base import ContentFile
from wagtail.images import get_image_model
from cms.demo.generate import make_image
image = get_image_model()(
    title="Lamp", description="A lamp", file=ContentFile(make_image("Lamp", 800, 600), "lamp.jpg")
)
image.save()
rendition = image.get_rendition("format-webp|width-480")
print(image.file.name, rendition.url)
"""


@pytest.fixture(scope="module")
def node():
    with one_node_local_media() as started:
        yield started


def test_nginx_serves_renditions_and_static_files_never_originals(node):
    original, rendition = node.manage("shell", "-c", ADD_IMAGE).stdout.splitlines()[-1].split()
    assert rendition.startswith("/media/images/")

    response = requests.get(node.nginx + rendition, timeout=30)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=2592000"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "gunicorn" not in response.headers.get("Server", "")
    assert requests.get(f"{node.nginx}/media/{original}", timeout=30).status_code == 404

    home = requests.get(node.nginx + "/", timeout=30).text
    css = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home).group(1)
    response = requests.get(node.nginx + css, timeout=30, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers.get("Content-Encoding") == "gzip"  # the compressed copy


def test_public_pages_are_cached_and_admin_pages_are_not(node):
    requests.get(node.nginx + "/", timeout=30)
    page = requests.get(node.nginx + "/", timeout=30)
    assert page.headers["X-Cache-Status"] == "HIT"
    assert "content-security-policy" in page.headers
    admin = requests.get(node.nginx + "/admin/login/", timeout=30)
    admin = requests.get(node.nginx + "/admin/login/", timeout=30)
    assert admin.headers["X-Cache-Status"] != "HIT"
