"""A product page's and a listing's cost must not grow with what they show.

Counts are taken on the second request, when every rendition exists in the database (the
first request creates them), with Wagtail's rendition cache emptied, as after a restart or on
another node: the budget must not depend on that cache. The numbers are exact: a change that
adds a query fails here, on purpose.
"""

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cms.media.rendition_sets import add_placeholder
from tests.factories import (
    DocumentFactory,
    ImageFactory,
    ProductCategoryFactory,
    ProductPageFactory,
    documents_block,
    gallery_block,
    image_block,
    specs_block,
)
from tests.storage import CountingStorage

pytestmark = pytest.mark.django_db

PRODUCT_PAGE_QUERIES = 12
LISTING_QUERIES = 11
SMALL = (48, 36)  # tiny originals: the renditions are cheap to make


def small_image():
    """A small image with its placeholder, as the upload's task leaves it: pictures render
    with their previews, which come with the image rows the page already loads."""
    image = ImageFactory(size=SMALL)
    add_placeholder(image)
    assert image.placeholder
    return image


def product_with(catalogue, n_images, n_documents, n_related=1):
    """A product with a hero, one image block, a gallery of n_images - 1 (at least one),
    n_documents downloads, specs, tags and related products."""
    related = [
        ProductPageFactory(parent=catalogue, hero_image=small_image()) for _ in range(n_related)
    ]
    gallery = [small_image() for _ in range(max(n_images - 1, 1))]
    page = ProductPageFactory(
        parent=catalogue,
        hero_image=small_image(),
        category=ProductCategoryFactory(name="Chairs"),
        body=[
            image_block(small_image(), alt="Detail"),
            gallery_block(gallery),
            documents_block([DocumentFactory() for _ in range(n_documents)]),
            specs_block([("Height", "92 cm")]),
        ],
    )
    page.tags.add("oak", "dining")
    for product in related:
        page.related_products.create(product=product)
    page.save()
    return page


def queries_for(client, url):
    """Queries of a render with the rendition cache emptied, which must be those of a render
    with every picture cached: the prefetch's one query also keys the cached pictures
    (cms/media/pictures.py), so it is made either way."""
    assert client.get(url).status_code == 200  # creates the renditions
    caches["renditions"].clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert client.get(url).content == response.content
    assert len(cached.captured_queries) == len(context.captured_queries)
    return len(context.captured_queries)


def test_product_page_queries_do_not_grow_with_images_or_documents(client, catalogue):
    small = product_with(catalogue, n_images=1, n_documents=1, n_related=1)
    medium = product_with(catalogue, n_images=10, n_documents=1, n_related=2)
    large = product_with(catalogue, n_images=50, n_documents=10, n_related=4)

    assert queries_for(client, small.url) == PRODUCT_PAGE_QUERIES
    assert queries_for(client, medium.url) == PRODUCT_PAGE_QUERIES
    assert queries_for(client, large.url) == PRODUCT_PAGE_QUERIES


def test_listing_queries_do_not_grow_with_cards(client, catalogue, home):
    ProductPageFactory(
        parent=catalogue, hero_image=small_image(), category=ProductCategoryFactory(name="Chairs")
    )
    one_card = queries_for(client, catalogue.url)

    for n in range(23):
        ProductPageFactory(
            parent=catalogue,
            hero_image=small_image(),
            category=ProductCategoryFactory(name=f"Category {n % 4}"),
        )
    html = client.get(catalogue.url).content.decode()
    assert html.count('class="card"') == 24
    assert one_card == queries_for(client, catalogue.url) == LISTING_QUERIES


def test_home_page_queries_do_not_grow_with_featured_products(client, catalogue, home):
    def feature(n):
        for _ in range(n):
            home.featured_products.create(
                product=ProductPageFactory(parent=catalogue, hero_image=small_image())
            )
        home.save()

    feature(1)
    one = queries_for(client, "/")
    feature(5)
    assert queries_for(client, "/") == one


def test_rendering_makes_no_storage_calls_once_renditions_exist(client, catalogue, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.storage.CountingStorage"},
    }
    page = product_with(catalogue, n_images=5, n_documents=3, n_related=2)
    urls = [page.url, catalogue.url, "/"]
    for url in urls:
        client.get(url)  # first visits create renditions: writes are expected here
    assert CountingStorage.calls["save"] > 0  # the wrapper really is the storage in use

    CountingStorage.calls.clear()
    caches["renditions"].clear()
    for url in urls:
        assert client.get(url).status_code == 200  # pictures rendered and cached
    for url in urls:
        assert client.get(url).status_code == 200  # pictures from the cache
    assert CountingStorage.calls == {}


def test_product_page_queries_stay_flat_with_document_previews(
    client, catalogue, django_capture_on_commit_callbacks
):
    """Previews come with their documents (one query for the block's documents) and their
    thumbnails with the page's one rendition query."""
    with django_capture_on_commit_callbacks(execute=True):
        one = product_with(catalogue, n_images=1, n_documents=1)
        ten = product_with(catalogue, n_images=1, n_documents=10)
    assert client.get(ten.url).content.decode().count('class="document-link__thumb"') == 10

    assert queries_for(client, one.url) == PRODUCT_PAGE_QUERIES
    assert queries_for(client, ten.url) == PRODUCT_PAGE_QUERIES
