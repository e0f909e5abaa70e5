"""One machine in production: gunicorn, SQLite and media on the local disk behind nginx
(cms/deploy/nginx/ with media-local.conf): static files and renditions come from nginx with
long-lived caching, originals and documents never do; a visitor's Host header cannot poison
the page cache."""

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

ADD_PRODUCT = """
from home.models import HomePage
from tests.factories import ProductIndexPageFactory, ProductPageFactory
index = ProductIndexPageFactory(parent=HomePage.objects.get())
print(ProductPageFactory(parent=index, title="Desk lamp", sku="LAMP-1").url)
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
    assert admin.headers.get("X-Cache-Status") != "HIT"


def test_a_visitors_host_header_never_reaches_the_cache(node):
    product = node.manage("shell", "-c", ADD_PRODUCT).stdout.split()[-1]
    for path in (product, "/robots.txt"):
        # A made-up port: nginx passes and keys on the host name alone.
        made_up = requests.get(node.nginx + path, headers={"Host": "localhost:6666"}, timeout=30)
        assert made_up.status_code == 200, path
        cached = requests.get(node.nginx + path, headers={"Host": "localhost"}, timeout=30)
        assert cached.headers["X-Cache-Status"] == "HIT", path
        assert "http://localhost/" in cached.text, path  # absolute URLs: the Site's root URL
        assert "6666" not in cached.text, path
    for host in ("evil.example", "evil.example:6666"):
        unknown = requests.get(node.nginx + product, headers={"Host": host}, timeout=30)
        unknown = requests.get(node.nginx + product, headers={"Host": host}, timeout=30)
        assert unknown.status_code == 421, host
        assert "X-Cache-Status" not in unknown.headers and "Desk lamp" not in unknown.text
