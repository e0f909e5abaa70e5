"""Two nodes, one site: gunicorn A and B share PostgreSQL, Redis and S3 behind nginx.

Run by `make test-scale` (tests/scale/services.py provides the S3 gateway). Media imported or
uploaded through one node is served and rendered through the other; publishing on one purges
nginx's page cache; cached pages outlive the app servers.
"""

import re
import time

import psycopg
import pytest
import requests

from cms.demo.generate import make_image
from tests.products.catalogue_helpers import manifest, write_bundle, zip_folder
from tests.scale.nodes import ADMIN_DSN, ADMIN_PASSWORD, DATABASE, two_nodes

PRODUCT = "/products/oak-dining-chair/"


@pytest.fixture(scope="module")
def nodes():
    with two_nodes() as started:
        yield started


@pytest.fixture(scope="module")
def token(nodes):
    return nodes.manage("api_tokens", "create", "--user", "admin", "--name", "it").stdout.strip()


def import_through(node, token, tmp_path, **changes):
    folder = write_bundle(tmp_path / "bundle", manifest(**changes))
    archive = zip_folder(folder, tmp_path / "bundle.zip")
    with archive.open("rb") as f:
        response = requests.post(
            node + "/api/catalogue/import/",
            headers={"Authorization": f"Bearer {token}"},
            files={"bundle": ("bundle.zip", f, "application/zip")},
            timeout=120,
        )
    assert response.status_code == 200, response.text
    return response.json()


def media_urls(html):
    urls = set(re.findall(r'(?:src|href)="(http[^"]+/media/images/[^"]+)"', html))
    for srcset in re.findall(r'srcset="([^"]+)"', html):
        urls.update(part.split()[0] for part in srcset.split(","))
    return urls


def test_imported_through_one_node_is_served_by_the_other(nodes, token, tmp_path):
    a, b = nodes.app
    import_through(a, token, tmp_path)

    page = requests.get(b + PRODUCT, timeout=30)
    assert page.status_code == 200 and "Oak dining chair" in page.text
    urls = media_urls(page.text)
    assert len(urls) > 10 and all(u.startswith(nodes.nginx + "/media/images/") for u in urls)
    for url in urls:  # renditions, from S3 through nginx
        response = requests.get(url, timeout=30)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("image/")
    document = re.search(r'href="(/documents/[^"]+)"', page.text).group(1)
    pdf = requests.get(b + document, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    # Originals and documents are not reachable past Wagtail.
    assert (
        requests.get(nodes.nginx + "/media/original_images/x.jpg", timeout=30).status_code == 404
    )


def eventually(check, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def log_in(node):
    session = requests.Session()
    session.get(node + "/admin/login/", timeout=30)
    response = session.post(
        node + "/admin/login/",
        data={
            "username": "admin",
            "password": ADMIN_PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
    )
    assert response.url.rstrip("/").endswith("/admin"), response.url
    return session


def test_uploaded_through_one_admin_is_rendered_by_the_other(nodes):
    a, b = nodes.app
    session = log_in(a)
    form = session.get(a + "/admin/images/add/", timeout=30).text
    collection = re.search(r'name="collection"[^>]*>\s*<option value="(\d+)"', form).group(1)
    response = session.post(
        a + "/admin/images/add/",
        data={
            "title": "Uploaded on A",
            "description": "A test card",
            "collection": collection,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        files={"file": ("card.jpg", make_image("Card", 640, 480), "image/jpeg")},
        timeout=60,
    )
    assert response.status_code == 200 and response.url.endswith("/admin/images/")

    listing = session.get(b + "/admin/images/?q=Uploaded", timeout=30).text  # same session
    assert "Uploaded on A" in listing
    thumbnail = re.search(r'<img[^>]+src="([^"]+)"[^>]*alt="Uploaded on A"', listing)
    thumbnail = thumbnail or re.search(r'src="(http[^"]+/media/images/card[^"]+)"', listing)
    response = requests.get(thumbnail.group(1), timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/")


def test_publishing_on_one_node_purges_the_edge_cache(nodes, token, tmp_path):
    a, _ = nodes.app
    for path in (PRODUCT, "/products/"):
        requests.get(nodes.nginx + path, timeout=30)
        cached = requests.get(nodes.nginx + path, timeout=30)
        assert cached.headers["X-Cache-Status"] == "HIT", path
        assert "public" in cached.headers["Cache-Control"]

    import_through(a, token, tmp_path, title="Oak dining chair, oiled")

    # The worker sends the purge once the import has committed: a moment, not s-maxage.
    for path in (PRODUCT, "/products/"):
        assert eventually(
            lambda p=path: "chair, oiled" in requests.get(nodes.nginx + p, timeout=30).text
        )
    # Admin pages never come from the cache.
    admin = requests.get(nodes.nginx + "/admin/login/", timeout=30)
    assert admin.headers.get("X-Cache-Status") != "HIT"
    assert "private" in admin.headers["Cache-Control"]


def test_a_database_restart_costs_requests_not_the_app_servers(nodes):
    """Every connection to the site's database is cut, as a PostgreSQL restart does."""
    a, b = nodes.app
    for node in (a, b):
        assert requests.get(node + "/products/", timeout=30).status_code == 200
    with psycopg.connect(ADMIN_DSN, autocommit=True) as connection:
        cut = connection.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [DATABASE],
        ).fetchone()[0]
    assert cut > 0
    statuses = [
        requests.get(node + f"/products/?try={n}", timeout=30).status_code
        for n in range(10)
        for node in (a, b)
    ]
    # Health checks replace a dead persistent connection before a request uses it.
    assert statuses[-10:] == [200] * 10, statuses
    assert nodes.processes["a"].poll() is None and nodes.processes["b"].poll() is None


def test_cached_pages_outlive_the_app_servers(nodes):
    requests.get(nodes.nginx + PRODUCT, timeout=30)
    nodes.stop("a")
    nodes.stop("b")
    response = requests.get(nodes.nginx + PRODUCT, timeout=30)
    assert response.status_code == 200 and "Oak dining chair, oiled" in response.text
    assert response.headers["X-Cache-Status"] in ("HIT", "STALE")
