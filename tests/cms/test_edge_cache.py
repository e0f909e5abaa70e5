"""Cache-Control lets an edge cache keep public pages, never private ones; Wagtail's
frontend cache purges the pages a product shows on when it is published, unpublished or moved,
and a document when it becomes private, is replaced or deleted. Absolute URLs never come from
the request's Host. (Through nginx: tests/scale/.)"""

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.files.base import ContentFile
from wagtail.contrib.frontend_cache.backends import BaseBackend
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from cms.demo.generate import make_pdf
from cms.frontend_cache import CacheRefreshFailed, RefreshBackend
from tests.factories import (
    DocumentFactory,
    ImageFactory,
    ProductPageFactory,
    documents_block,
    image_block,
)
from tests.test_settings import read_settings

pytestmark = pytest.mark.django_db

PUBLIC = {"public", "max-age=60", "s-maxage=600"}
# Not refreshed on publish (only the bare URL is): kept a minute.
VARIANT = {"public", "max-age=60", "s-maxage=60"}


def directives(response):
    return {d.strip() for d in response["Cache-Control"].split(",")}


def test_public_pages_may_be_kept_by_an_edge_cache(client, catalogue):
    product = ProductPageFactory(parent=catalogue)
    for url in ("/", catalogue.url, product.url, "/search/", "/sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response) == PUBLIC, url
    assert directives(client.get("/no-such-page/")) == PUBLIC


def test_answers_to_a_query_string_are_shared_briefly(client, catalogue):
    """A listing filtered or paged, a search, a page's redirect to its bare URL: Wagtail
    refreshes none of them when a product is taken down, so they must go soon on their own."""
    product = ProductPageFactory(parent=catalogue)
    for url, status in [
        ("/search/?q=oak", 200),
        ("/sitemap.xml?p=1", 200),
        (f"{catalogue.url}?sort=newest", 200),
        (f"{catalogue.url}?page=x", 301),
        (f"{product.url}?page=1", 301),
        ("/no-such-page/?page=1", 404),
    ]:
        response = client.get(url)
        assert response.status_code == status, url
        assert directives(response) == VARIANT, url


def test_nothing_private_is_ever_shared(client, admin_user, catalogue):
    product = ProductPageFactory(parent=catalogue)
    secret = ProductPageFactory(parent=catalogue)
    PageViewRestriction.objects.create(page=secret, restriction_type="password", password="x")

    assert "private" in directives(client.get(secret.url))
    assert "private" in directives(client.get("/admin/login/"))  # sets the CSRF cookie
    assert "private" in directives(client.post("/search/"))
    client.force_login(admin_user)
    # Logged in, pages carry the Wagtail userbar: for this browser only.
    page_response = client.get(product.url)
    assert {"private", "no-cache", "no-store"} <= directives(page_response)
    assert "private" in directives(client.get("/admin/"))
    preview = client.get(f"/admin/pages/{product.pk}/edit/preview/")
    assert "public" not in directives(preview)


class RecordingBackend(BaseBackend):
    purged = []

    def purge(self, url):
        self.purged.append(url)


@pytest.fixture
def purged(settings):
    settings.WAGTAILFRONTENDCACHE = {
        "test": {"BACKEND": "tests.cms.test_edge_cache.RecordingBackend"}
    }
    RecordingBackend.purged = []
    return RecordingBackend.purged


def test_publishing_a_product_purges_it_its_listing_and_the_home_page(
    purged, catalogue, django_capture_on_commit_callbacks
):
    product = ProductPageFactory(parent=catalogue, slug="oak-chair")
    root = "http://localhost"
    pages = {f"{root}/products/oak-chair/", f"{root}/products/", f"{root}/"}
    purged.clear()
    with django_capture_on_commit_callbacks(execute=True) as after_commit:
        product.save_revision().publish()
        # The listing waits for the commit: purged earlier, the cache would refetch it old.
        assert f"{root}/products/" not in purged
    assert after_commit and set(purged) == pages

    purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        product.unpublish()
    assert set(purged) == pages


def test_moving_a_product_purges_its_old_address(
    purged, catalogue, home, django_capture_on_commit_callbacks
):
    product = ProductPageFactory(parent=catalogue, slug="oak-chair")
    other = ProductPageFactory(parent=home, slug="archive", title="Archive")
    purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        product.move(other, pos="last-child")
    assert "http://localhost/products/oak-chair/" in purged
    assert "http://localhost/archive/oak-chair/" in purged
    assert "http://localhost/products/" in purged


def test_a_visitors_host_header_never_reaches_the_page(client, catalogue):
    """Absolute URLs come from the Site ("localhost" in tests), so a shared cache that keys on
    the host name alone cannot keep a port (or a name) a visitor made up."""
    product = ProductPageFactory(
        parent=catalogue,
        hero_image=ImageFactory(),
        body=[image_block(ImageFactory(), alt="Detail"), documents_block([DocumentFactory()])],
    )
    for url in (product.url, "/robots.txt", "/sitemap.xml", f"/api/v2/pages/{product.pk}/"):
        response = client.get(url, HTTP_HOST="localhost:6666")
        assert response.status_code == 200, url
        text = response.content.decode()
        assert "http://localhost/" in text, url  # it does name absolute URLs
        assert "6666" not in text, url


SECRET = "s" * 32


def test_the_edge_cache_bypass_cookie_follows_the_session(client, admin_user, settings):
    settings.FRONTEND_CACHE_SECRET = SECRET
    client.get("/admin/login/")
    response = client.post(
        "/admin/login/", {"username": "admin", "password": "password", "remember": "on"}
    )
    assert response.cookies["sessionid"]["max-age"] == 7200  # SESSION_IDLE_TIMEOUT
    assert response.status_code == 302
    bypass = response.cookies["edge_cache_bypass"]
    digest, expires = bypass.value.split(".")
    assert len(digest) == 22 and bypass["httponly"]
    # Short-lived (nginx cannot know when the session ends: a copy lasts until it expires),
    # and renewed by every answer to the session.
    assert bypass["max-age"] == 600
    assert 595 <= int(expires) - time.time() <= 600
    time.sleep(1.1)
    renewed = client.get("/admin/").cookies["edge_cache_bypass"]
    assert renewed["max-age"] == 600 and int(renewed.value.split(".")[1]) > int(expires)

    response = client.post("/admin/logout/")
    assert response.cookies["edge_cache_bypass"].value == ""
    assert response.cookies["edge_cache_bypass"]["max-age"] == 0


@pytest.fixture
def private_collection():
    return Collection.get_first_root_node().add_child(name="Private")


def test_a_refresh_stores_the_answer_to_a_document_that_became_private(client, private_collection):
    """nginx keeps a refresh's answer only when it may; this one it must keep, expired, so
    that the old public copy is gone."""
    document = DocumentFactory(collection=private_collection)
    CollectionViewRestriction.objects.create(
        collection=private_collection, restriction_type="login"
    )

    refresh = client.get(document.url, HTTP_X_CACHE_REFRESH="1")
    assert refresh.status_code == 302
    assert next(iter(refresh.headers)) == "X-Accel-Expires"  # nginx 1.22 reads it first only
    assert refresh["X-Accel-Expires"] == "@1" and not refresh.cookies
    visitor = client.get(document.url, HTTP_X_CACHE_REFRESH="0")
    assert visitor.status_code == 302 and "X-Accel-Expires" not in visitor


def test_a_document_is_refreshed_when_it_may_no_longer_be_served(
    purged, private_collection, django_capture_on_commit_callbacks
):
    def refreshed_by(change):
        purged.clear()
        with django_capture_on_commit_callbacks(execute=True):
            change()
        return set(purged)

    document = DocumentFactory(title="Manual")
    first_url = f"http://localhost{document.url}"

    def move():
        document.collection = private_collection
        document.save()

    assert refreshed_by(move) == {first_url}

    def restrict():
        CollectionViewRestriction.objects.create(
            collection=private_collection, restriction_type="login"
        )

    assert refreshed_by(restrict) == {first_url}

    def replace_file():
        document.file = ContentFile(make_pdf("Manual v2"), name="manual-v2.pdf")
        document.save()

    refreshed = refreshed_by(replace_file)
    second_url = f"http://localhost{document.url}"
    assert second_url != first_url and refreshed == {first_url, second_url}
    assert refreshed_by(document.delete) == {second_url}


def test_a_page_made_private_is_refreshed_with_the_pages_below_it(
    purged, catalogue, django_capture_on_commit_callbacks
):
    ProductPageFactory(parent=catalogue, slug="oak-chair")
    purged.clear()
    with django_capture_on_commit_callbacks(execute=True):
        PageViewRestriction.objects.create(page=catalogue, restriction_type="login")
    assert set(purged) == {"http://localhost/products/", "http://localhost/products/oak-chair/"}


class FakeNginx(BaseHTTPRequestHandler):
    """Answers as catalogue.conf does: BYPASS only with the secret; records what it got."""

    requests = []

    def do_GET(self):
        self.requests.append((self.path, self.headers.get("Host")))
        honoured = self.headers.get("X-Cache-Refresh") == SECRET
        self.send_response(302 if self.path.startswith("/documents/") else 200)
        self.send_header("Location", "/_util/login/?next=/documents/1/a.pdf")
        self.send_header("X-Cache-Status", "BYPASS" if honoured else "HIT")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_nginx():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeNginx)
    FakeNginx.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_the_refresh_backend_reports_a_refresh_nginx_did_not_honour(fake_nginx, caplog):
    backend = RefreshBackend({"LOCATION": fake_nginx, "SECRET": SECRET})
    backend.purge_batch(
        ["http://catalogue.example/products/", "http://catalogue.example/documents/1/a.pdf"]
    )
    # The redirect is the answer nginx stores, not one to follow (with the secret).
    assert [host for _, host in FakeNginx.requests] == ["catalogue.example"] * 2
    assert len(FakeNginx.requests) == 2

    wrong = RefreshBackend({"LOCATION": fake_nginx, "SECRET": "w" * 32})
    with (
        caplog.at_level(logging.ERROR, "wagtail.frontendcache"),
        pytest.raises(CacheRefreshFailed, match="X-Cache-Status HIT, not BYPASS"),
    ):
        wrong.purge("http://catalogue.example/products/")
    assert "Couldn't refresh http://catalogue.example/products/" in caplog.text


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FRONTEND_CACHE_URL": "http://127.0.0.1:8080"}, "FRONTEND_CACHE_SECRET is not"),
        ({"FRONTEND_CACHE_SECRET": "short"}, "32 or more letters"),
        ({"FRONTEND_CACHE_SECRET": "x" * 31 + ";"}, "32 or more letters"),
    ],
)
def test_the_shared_secret_is_required_and_fit_for_nginx(env, message):
    """It is written into nginx's configuration: an empty or odd one would break or open it."""
    result = read_settings("cms.settings.base", env=env)
    assert result.returncode != 0 and message in result.stderr
