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


def test_values_no_page_could_use_never_make_a_cache_key(node):
    """nginx drops values no page could use before the cache key: random page numbers, sorts
    and categories cannot make the app answer again and again (cms/deploy/nginx/)."""
    requests.get(node.nginx + "/", timeout=30)
    for query in (
        "page=x1",
        "page=x2",
        "page=12345",
        "page=1%0a",
        "sort=TITLE",
        "sort=price",
        "category=a%2Fb",
        "category=" + "a" * 1201,
        "q=lamp",  # q is read by search only, p by the sitemap only
        "p=2",
        "utm_source=x",
    ):
        response = requests.get(f"{node.nginx}/?{query}", timeout=30)
        assert response.status_code == 200, query
        assert response.headers["X-Cache-Status"] == "HIT", query  # the bare URL's copy
    # Values a page could use are keys of their own; the home page reads none: a redirect.
    for query in ("page=7", "sort=newest", "category=%C3%A9t%C3%A9-2"):
        response = requests.get(f"{node.nginx}/?{query}", allow_redirects=False, timeout=30)
        assert response.status_code == 301 and response.headers["Location"] == "/", query
        assert response.headers["X-Cache-Status"] == "MISS", query


def test_sign_in_attempts_are_throttled_per_address(node):
    """django-axes counts failures per username and address; nginx limits how many sign-in
    POSTs one address may send, whatever the usernames (10 at once, then 10 a minute)."""
    session = requests.Session()
    session.get(node.nginx + "/admin/login/", timeout=30)

    def attempt(n):
        return session.post(
            node.nginx + "/admin/login/",
            data={
                "username": f"guess-{n}",
                "password": "wrong",
                "csrfmiddlewaretoken": session.cookies["csrftoken"],
            },
            timeout=30,
        )

    # Each a wrong password for a new username: axes lets every one by.
    answers = [attempt(0)]
    while answers[-1].status_code == 200 and len(answers) < 30:
        answers.append(attempt(len(answers)))
    refused, let_by = answers[-1], len(answers) - 1
    # The burst of 10 after the first; one more for each 6 s the attempts took, at most.
    assert refused.status_code == 429 and 11 <= let_by <= 15, let_by
    assert "X-Cache-Status" not in refused.headers
    assert "Too many failed sign-in attempts" not in refused.text  # nginx's answer, not axes'
    assert session.get(node.nginx + "/admin/login/", timeout=30).status_code == 200
    # The same count covers the front end's login and the pages' and documents' password forms.
    for path in (
        "/_util/login/",
        "/_util/authenticate_with_password/1/1/",
        "/documents/authenticate_with_password/1/",
    ):
        response = session.post(node.nginx + path, data={"password": "x"}, timeout=30)
        assert response.status_code == 429, path
