"""One URL per answer (cms/canonical_urls.py): a page or view that reads no query parameter
redirects a query string to its bare URL, which is the URL a takedown refreshes; the listing
and search redirect values they would not use to the URL of what they show. Through nginx:
tests/scale/test_two_nodes.py."""

import pytest

from tests.factories import DocumentFactory, ProductCategoryFactory, ProductPageFactory

pytestmark = pytest.mark.django_db


def redirect_of(response):
    assert response.status_code == 301, response.status_code
    return response["Location"]


@pytest.fixture
def product(catalogue):
    return ProductPageFactory(parent=catalogue, slug="desk-lamp", hero_image=None)


@pytest.mark.parametrize("query", ["page=1", "category=lamps", "utm_source=x", "q=lamp", "x"])
def test_a_product_page_with_a_query_string_redirects_to_its_bare_url(client, product, query):
    assert redirect_of(client.get(f"/products/desk-lamp/?{query}")) == "/products/desk-lamp/"
    assert redirect_of(client.head(f"/products/desk-lamp/?{query}")) == "/products/desk-lamp/"
    assert client.get("/products/desk-lamp/").status_code == 200


@pytest.mark.parametrize("what", ["home page", "document", "robots.txt"])
def test_the_home_page_documents_and_robots_redirect_a_query_string(client, what):
    url = {"home page": "/", "robots.txt": "/robots.txt"}.get(what) or DocumentFactory().url
    assert redirect_of(client.get(f"{url}?page=1")) == url
    assert client.get(url).status_code == 200


@pytest.fixture
def listing(catalogue):
    chairs = ProductCategoryFactory(name="Chairs")
    accents = ProductCategoryFactory(name="Été", slug="été")
    for n in range(30):
        category = chairs if n % 2 else accents
        ProductPageFactory(parent=catalogue, category=category, hero_image=None)
    ProductCategoryFactory(name="Empty")  # no live product: not offered, not valid
    return catalogue


@pytest.mark.parametrize(
    "query",
    [
        "category=chairs",
        "category=%C3%A9t%C3%A9",  # a Unicode slug, encoded as browsers and the app do
        "sort=title",
        "sort=newest",
        "page=1",
        "page=2",
        "category=chairs&sort=newest&page=1",
    ],
)
def test_the_listing_answers_the_queries_it_writes_itself(client, listing, query):
    assert client.get(f"/products/?{query}").status_code == 200


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("category=nope", "/products/"),
        ("category=empty&sort=newest", "/products/?sort=newest"),
        ("category=", "/products/"),
        ("category=%c3%a9t%c3%a9", "/products/?category=%C3%A9t%C3%A9"),
        ("sort=TITLE", "/products/"),
        ("sort=price&category=chairs", "/products/?category=chairs"),
        ("page=x", "/products/"),
        ("page=0", "/products/"),
        ("page=-1", "/products/"),
        ("page=02", "/products/?page=2"),
        ("page=%D9%A2", "/products/"),  # an Arabic-Indic 2: a digit, not ASCII
        ("page=9", "/products/?page=2"),  # past the end: the last page
        ("category=chairs&page=2", "/products/?category=chairs"),  # 15 chairs: one page
        ("page=2&page=1", "/products/?page=1"),
        ("sort=newest&category=chairs", "/products/?category=chairs&sort=newest"),
        ("utm_source=x&page=2", "/products/?page=2"),
    ],
)
def test_the_listing_redirects_what_it_would_not_use(client, listing, query, canonical):
    assert redirect_of(client.get(f"/products/?{query}")) == canonical
    assert client.get(canonical).status_code == 200


@pytest.fixture
def lamps(catalogue):
    for n in range(30):
        ProductPageFactory(parent=catalogue, title=f"Lamp {n}", hero_image=None)


@pytest.mark.parametrize("query", ["", "q=lamp", "q=lamp&page=1", "page=2&q=lamp", "q=*~"])
def test_search_answers_the_queries_it_writes_itself(client, lamps, query):
    assert client.get(f"/search/?{query}").status_code == 200


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("q=lamp&page=x", "/search/?q=lamp"),
        ("q=lamp&page=0", "/search/?q=lamp"),
        ("q=lamp&page=9", "/search/?q=lamp&page=2"),
        ("q=lamp&page=02", "/search/?q=lamp&page=2"),
        ("q=lamp&sort=newest", "/search/?q=lamp"),
        ("q=nothing-matches&page=2", "/search/?q=nothing-matches"),
        ("page=2", "/search/"),
        ("q=", "/search/"),
        ("q=oak&q=lamp", "/search/?q=lamp"),  # the one it searched
    ],
)
def test_search_redirects_what_it_would_not_use(client, lamps, query, canonical):
    assert redirect_of(client.get(f"/search/?{query}")) == canonical
    assert client.get(canonical).status_code == 200
