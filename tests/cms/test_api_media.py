"""The read-only API never leads a visitor to an original file: /api/v2/images/ and
/api/v2/documents/ show only media that live pages open to everyone use, images as renditions
and documents through Wagtail's serve view; /api/v2/pages/ shows products the same way.

Runs on the local disk and again, unchanged, on S3 in the scale run (where a storage URL of an
original would be a signed link to the private bucket)."""

from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction, Site

from products.models import ProductPage
from tests.factories import (
    DocumentFactory,
    ImageFactory,
    ProductPageFactory,
    documents_block,
    gallery_block,
    image_block,
)
from tests.storage import renditions_url

pytestmark = pytest.mark.django_db

IMAGES_LISTING_QUERIES = 6


def assert_no_original(text, *media):
    """No storage URL of an original image or a document, signed or not, anywhere in text."""
    assert "original_images/" not in text
    assert "X-Amz-" not in text and "Signature=" not in text
    for item in media:
        assert urlsplit(item.file.url).path not in text, item.file.name


@pytest.fixture
def site_media(catalogue):
    """Images and documents used every way a page can use them (hero, body image, gallery,
    downloads) and in every state: a live public page, a draft page, a private page, a live
    page's unpublished draft, a private collection, nowhere. Keys name the use."""
    private = Collection.get_first_root_node().add_child(name="Private")
    CollectionViewRestriction.objects.create(
        collection=private, restriction_type="password", password="x"
    )
    m = {
        "hero": ImageFactory(),
        "body": ImageFactory(),
        "gallery": ImageFactory(),
        "unused": ImageFactory(),
        "draft_page": ImageFactory(),
        "draft_revision": ImageFactory(),
        "private_page": ImageFactory(),
        "doc": DocumentFactory(),
        "doc_private_collection": DocumentFactory(collection=private),
        "doc_unused": DocumentFactory(),
        "doc_draft_page": DocumentFactory(),
        "doc_draft_revision": DocumentFactory(),
        "doc_private_page": DocumentFactory(),
    }
    live = ProductPageFactory(
        parent=catalogue,
        hero_image=m["hero"],
        body=[
            image_block(m["body"], alt="Detail"),
            gallery_block([m["gallery"]]),
            documents_block([m["doc"], m["doc_private_collection"]]),
        ],
    )
    draft = ProductPageFactory(
        parent=catalogue,
        live=False,
        hero_image=m["draft_page"],
        body=[documents_block([m["doc_draft_page"]])],
    )
    secret = ProductPageFactory(
        parent=catalogue,
        hero_image=m["private_page"],
        body=[documents_block([m["doc_private_page"]])],
    )
    PageViewRestriction.objects.create(page=secret, restriction_type="password", password="x")
    # A live page whose unpublished draft adds an image and a document.
    revised = ProductPageFactory(parent=catalogue)
    editing = ProductPage.objects.get(pk=revised.pk)
    editing.hero_image = m["draft_revision"]
    editing.body = [documents_block([m["doc_draft_revision"]])]
    editing.save_revision()
    m["revised_hero"] = revised.hero_image
    m["pages"] = {"live": live, "draft": draft, "secret": secret, "revised": revised}
    return m


def is_rendition(url):
    """A URL in the renditions' folder or bucket (relative on the local disk)."""
    return urlsplit(url).path.startswith(urlsplit(renditions_url()).path)


def ids(response):
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_images_api_shows_only_images_of_live_public_pages_as_renditions(client, site_media):
    m = site_media
    shown = [m["hero"], m["body"], m["gallery"], m["revised_hero"]]
    hidden = [m["unused"], m["draft_page"], m["draft_revision"], m["private_page"]]

    listing = client.get("/api/v2/images/")
    assert ids(listing) == {image.pk for image in shown}
    for item in listing.json()["items"]:
        for rendition in ("card", "large"):
            assert is_rendition(item[rendition]["url"]), item
            assert is_rendition(item[rendition]["full_url"]), item
        assert item["card"]["url"].endswith(".jpg") and item["card"]["width"] == 640
        assert "download_url" not in item["meta"]
    for image in hidden:
        assert client.get(f"/api/v2/images/{image.pk}/").status_code == 404, image.title
        assert client.get("/api/v2/images/find/", {"id": image.pk}).status_code == 404
    detail = client.get(f"/api/v2/images/{m['hero'].pk}/")
    assert detail.status_code == 200
    assert is_rendition(detail.json()["large"]["url"])
    # Asking for the original by name is refused.
    assert client.get("/api/v2/images/", {"fields": "download_url"}).status_code == 400
    assert client.get("/api/v2/images/", {"fields": "file"}).status_code == 400

    everything = client.get("/api/v2/images/", {"fields": "*"}).content.decode()
    assert_no_original(listing.content.decode() + detail.content.decode() + everything, *shown)


def test_rendition_full_urls_start_with_the_sites_root_url(client, catalogue, settings):
    """Not with WAGTAILADMIN_BASE_URL (the admin's address, Wagtail's choice for `full_url`),
    and never with the request's Host; a renditions bucket's URL is full already and kept."""
    settings.WAGTAILADMIN_BASE_URL = "http://admin.internal:8000"
    site = Site.objects.get(is_default_site=True)
    image = ImageFactory()
    ProductPageFactory(parent=catalogue, hero_image=image)

    for response in (
        client.get("/api/v2/images/"),
        client.get(f"/api/v2/images/{image.pk}/"),
        client.get("/api/v2/pages/", {"type": "products.ProductPage", "fields": "hero_image(*)"}),
    ):
        assert response.status_code == 200, response.content
        text = response.content.decode()
        assert "admin.internal" not in text and "testserver" not in text  # the request's Host
        data = response.json()
        item = data["items"][0] if "items" in data else data
        item = item.get("hero_image", item)
        for rendition in ("card", "large"):
            url, full_url = item[rendition]["url"], item[rendition]["full_url"]
            assert full_url == (url if urlsplit(url).netloc else site.root_url + url), item
            assert full_url.startswith(renditions_url(site.root_url)), item

    # The product's own rendition fields.
    product = client.get(
        "/api/v2/pages/", {"type": "products.ProductPage", "fields": "hero_card,hero_large"}
    ).json()["items"][0]
    for field in ("hero_card", "hero_large"):
        url, full_url = product[field]["url"], product[field]["full_url"]
        assert full_url == (url if urlsplit(url).netloc else site.root_url + url), product


def test_documents_api_shows_only_public_documents_through_the_serve_view(client, site_media):
    m = site_media
    hidden = [
        m["doc_private_collection"],
        m["doc_unused"],
        m["doc_draft_page"],
        m["doc_draft_revision"],
        m["doc_private_page"],
    ]

    listing = client.get("/api/v2/documents/")
    assert ids(listing) == {m["doc"].pk}
    (item,) = listing.json()["items"]
    download = item["meta"]["download_url"]
    assert urlsplit(download).path == f"/documents/{m['doc'].pk}/{m['doc'].filename}"
    for document in hidden:
        assert client.get(f"/api/v2/documents/{document.pk}/").status_code == 404
    # The serve view, not the storage, hands out the file.
    served = client.get(urlsplit(download).path)
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"%PDF-")

    detail = client.get(f"/api/v2/documents/{m['doc'].pk}/", {"fields": "*"})
    assert_no_original(listing.content.decode() + detail.content.decode(), m["doc"])


def test_document_links_go_through_the_serve_view_whatever_the_serve_method(
    client, catalogue, settings
):
    settings.WAGTAILDOCS_SERVE_METHOD = "direct"  # document.url is then the storage's URL
    document = DocumentFactory()
    ProductPageFactory(parent=catalogue, body=[documents_block([document])])
    (item,) = client.get("/api/v2/documents/").json()["items"]
    assert (
        urlsplit(item["meta"]["download_url"]).path
        == f"/documents/{document.pk}/{document.filename}"
    )


def test_pages_api_shows_published_public_products_with_renditions_only(client, site_media):
    m, pages = site_media, site_media["pages"]
    listing = client.get(
        "/api/v2/pages/", {"type": "products.ProductPage", "fields": "*,hero_image(*)"}
    )
    assert ids(listing) == {pages["live"].pk, pages["revised"].pk}
    detail = client.get(f"/api/v2/pages/{pages['live'].pk}/")
    hero = detail.json()["hero_image"]
    assert hero["id"] == m["hero"].pk and "download_url" not in hero["meta"]
    assert is_rendition(detail.json()["hero_card"]["url"])
    body_image = detail.json()["body"][0]["value"]["image"]
    assert is_rendition(body_image["url"])

    for page in (pages["draft"], pages["secret"]):
        assert client.get(f"/api/v2/pages/{page.pk}/").status_code == 404
    # The live version, not the draft revision.
    revised = client.get(f"/api/v2/pages/{pages['revised'].pk}/").json()
    assert revised["hero_image"]["id"] == m["revised_hero"].pk
    assert revised["body"] == []

    text = listing.content.decode() + detail.content.decode()
    assert_no_original(text, m["hero"], m["body"], m["gallery"], m["doc"])


def images_listing_queries(client):
    assert client.get("/api/v2/images/").status_code == 200  # creates missing renditions
    caches["renditions"].clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get("/api/v2/images/")
    assert response.status_code == 200
    return len(response.json()["items"]), len(context.captured_queries)


def test_images_listing_queries_do_not_grow_with_images(client, catalogue):
    ProductPageFactory(parent=catalogue)
    assert images_listing_queries(client) == (1, IMAGES_LISTING_QUERIES)
    for _ in range(4):
        ProductPageFactory(parent=catalogue, body=[gallery_block([ImageFactory()])])
    assert images_listing_queries(client) == (9, IMAGES_LISTING_QUERIES)
