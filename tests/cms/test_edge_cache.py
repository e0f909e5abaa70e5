"""Cache-Control lets an edge cache keep public pages, never private ones; Wagtail's
frontend cache purges the pages a product shows on when it is published, unpublished or moved."""

import pytest
from wagtail.contrib.frontend_cache.backends import BaseBackend
from wagtail.models import PageViewRestriction

from tests.factories import ProductPageFactory

pytestmark = pytest.mark.django_db

PUBLIC = {"public", "max-age=60", "s-maxage=600"}


def directives(response):
    return {d.strip() for d in response["Cache-Control"].split(",")}


def test_public_pages_may_be_kept_by_an_edge_cache(client, catalogue):
    product = ProductPageFactory(parent=catalogue)
    for url in ("/", catalogue.url, product.url, "/search/?q=oak", "/sitemap.xml"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response) == PUBLIC, url
    assert directives(client.get("/no-such-page/")) == PUBLIC


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
