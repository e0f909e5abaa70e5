import re
from datetime import timedelta

import pytest
from django.utils import timezone

from products.models import ProductIndexPage
from tests.factories import (
    ProductCategoryFactory,
    ProductPageFactory,
    specs_block,
)

pytestmark = pytest.mark.django_db


def card_titles(html):
    return re.findall(r'<h3 class="card__title"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def thirty_products(catalogue):
    """30 products without images (cards without pictures keep these tests fast)."""
    chairs = ProductCategoryFactory(name="Chairs")
    tables = ProductCategoryFactory(name="Tables")
    start = timezone.now() - timedelta(days=60)
    products = []
    for n in range(30):
        products.append(
            ProductPageFactory(
                parent=catalogue,
                title=f"Product {n:02d}",
                category=chairs if n % 3 == 0 else tables,
                hero_image=None,
                first_published_at=start + timedelta(days=n),
            )
        )
    return products


def test_listing_paginates_24_per_page(client, catalogue, thirty_products):
    first = client.get(catalogue.url).content.decode()
    assert card_titles(first) == [f"Product {n:02d}" for n in range(24)]
    assert "30 products" in first and "Page 1 of 2" in first
    assert 'rel="next" href="?page=2"' in first

    second = client.get(catalogue.url, {"page": 2}).content.decode()
    assert card_titles(second) == [f"Product {n:02d}" for n in range(24, 30)]
    # Out of range or nonsense page numbers redirect to a real page (tests/products/
    # test_canonical_urls.py).
    page_99 = client.get(catalogue.url, {"page": 99}, follow=True)
    assert card_titles(page_99.content.decode()) == card_titles(second)
    page_x = client.get(catalogue.url, {"page": "x"}, follow=True)
    assert card_titles(page_x.content.decode()) == card_titles(first)


def test_listing_filters_by_category(client, catalogue, thirty_products):
    html = client.get(catalogue.url, {"category": "chairs"}).content.decode()
    assert card_titles(html) == [f"Product {n:02d}" for n in range(0, 30, 3)]
    assert "10 products in Chairs" in html
    assert '<option value="chairs" selected>' in html
    # An unknown category redirects to everything rather than nothing.
    unknown = client.get(catalogue.url, {"category": "x"}, follow=True)
    assert len(card_titles(unknown.content.decode())) == 24


def test_listing_sorts_by_newest(client, catalogue, thirty_products):
    html = client.get(catalogue.url, {"sort": "newest"}).content.decode()
    assert card_titles(html)[:3] == ["Product 29", "Product 28", "Product 27"]
    assert 'href="?sort=newest&amp;page=2"' in html


def test_listing_keeps_filters_across_pages(client, catalogue, thirty_products, monkeypatch):
    monkeypatch.setattr(ProductIndexPage, "PER_PAGE", 10)
    html = client.get(catalogue.url, {"category": "tables", "sort": "newest"}).content.decode()
    assert "20 products in Tables" in html
    assert 'href="?category=tables&amp;sort=newest&amp;page=2"' in html


def test_listing_hides_drafts(client, catalogue):
    ProductPageFactory(parent=catalogue, title="Visible", hero_image=None)
    ProductPageFactory(parent=catalogue, title="Draft", hero_image=None, live=False)
    assert card_titles(client.get(catalogue.url).content.decode()) == ["Visible"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("walnut", ["Walnut table"]),  # title
        ("TB-2002", ["Walnut table"]),  # SKU
        ("hand-rubbed", ["Oak chair"]),  # summary
        ("mortise", ["Oak chair"]),  # body text
    ],
)
def test_search_covers_title_sku_summary_and_body(client, catalogue, query, expected):
    ProductPageFactory(
        parent=catalogue,
        title="Oak chair",
        sku="CH-1001",
        summary="A hand-rubbed finish.",
        hero_image=None,
        body=[
            {"type": "paragraph", "value": "<p>Mortise joints throughout.</p>"},
            specs_block([("Wood", "Oak")]),
        ],
    )
    ProductPageFactory(parent=catalogue, title="Walnut table", sku="TB-2002", hero_image=None)
    ProductPageFactory(parent=catalogue, title="Hidden walnut", hero_image=None, live=False)

    html = client.get("/search/", {"q": query}).content.decode()
    assert card_titles(html) == expected


def test_search_without_a_query_shows_the_form(client):
    response = client.get("/search/")
    assert response.status_code == 200
    assert b'name="q"' in response.content and b"result" not in response.content


def test_sitemap_lists_live_products(client, catalogue):
    live = ProductPageFactory(parent=catalogue, hero_image=None)
    draft = ProductPageFactory(parent=catalogue, hero_image=None, live=False)
    xml = client.get("/sitemap.xml").content.decode()
    assert f"<loc>http://localhost{live.url}</loc>" in xml
    assert f"http://localhost{catalogue.url}" in xml
    assert draft.slug not in xml


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain"
    body = response.content.decode()
    assert "Disallow: /admin/" in body and "Sitemap: http://localhost/sitemap.xml" in body


def test_navigation_links_the_catalogue(client, catalogue):
    html = client.get("/").content.decode()
    assert f'<a href="{catalogue.url}">Products</a>' in html
