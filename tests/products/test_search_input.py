"""Search input from the address bar is anything at all: no query gives a server error, on
SQLite (FTS5) or PostgreSQL, and quotes do not stop a search from finding what it names."""

import html
import re

import pytest

from products.views import SEARCH_QUERY_MAX_LENGTH
from tests.factories import ProductPageFactory

pytestmark = pytest.mark.django_db

AWKWARD_QUERIES = [
    'a"',
    '12" pan',
    '"',
    '""',
    '"a',
    '"unbalanced phrase',
    "'",
    "a'b",
    "'a':*",
    "(",
    ")",
    "(a",
    "a)",
    "((a) OR b",
    "NEAR(a b)",
    "AND",
    "OR",
    "NOT",
    "a AND",
    "AND a",
    "a OR",
    "NOT a",
    "a NOT b",
    "-",
    "-a",
    "a -b",
    "- - -",
    "*",
    "a*",
    "*a",
    ":",
    "a:b",
    "title:a",
    "^a",
    "+",
    "a & b | !c",
    "<->",
    "{a}",
    "[a]",
    "%",
    "%s",
    "_",
    "x" * 2000,
    "pan " * 500,
    "a\x00b",
    "\x00",
    "\x1b[31m",
    "🪑",
    "chair 🪑",
    "👩‍🔧",
    "שולחן עץ",
    "كرسي خشب",
    "\u202ereversed",
    "\\",
    "a\\",
    "\\'",
    '\\"',
    "'; DROP TABLE products_productpage; --",
    "1' OR '1'='1",
    '" OR 1=1 --',
    "   ",
    "\t\n",
]


def card_titles(page):
    return re.findall(r'<h3 class="card__title"><a href="[^"]+">([^<]+)</a>', page)


@pytest.fixture
def products(catalogue):
    ProductPageFactory(parent=catalogue, title='12" pan', sku="PN-12", hero_image=None)
    ProductPageFactory(parent=catalogue, title="Walnut table", sku="TB-2002", hero_image=None)


@pytest.mark.parametrize("query", AWKWARD_QUERIES, ids=[repr(q)[:24] for q in AWKWARD_QUERIES])
def test_no_search_input_is_a_server_error(client, products, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200, (query, response.status_code)
    assert b"Search products" in response.content


@pytest.mark.parametrize(
    "raw", ["q=a%22", "q=%00", "q=%ff%fe", "q=a&q=%22", "q=%22&page=-1", "q=%28&page=x"]
)
def test_raw_query_strings_are_not_a_server_error(client, products, raw):
    # A repeated q or a bad page redirects to the canonical search (test_canonical_urls.py).
    assert client.get(f"/search/?{raw}", follow=True).status_code == 200


@pytest.mark.parametrize("query", ['12" pan', '12"', 'pan"', '"12 pan"', "12' pan"])
def test_quotes_still_find_the_product_they_name(client, products, query):
    page = client.get("/search/", {"q": query}).content.decode()
    assert card_titles(page) == [html.escape('12" pan')]


@pytest.mark.parametrize(
    "query", ["walnut - table", "walnut & table", "walnut ( table", "walnut 🪑 table", "walnut :"]
)
def test_punctuation_between_words_does_not_hide_results(client, products, query):
    page = client.get("/search/", {"q": query}).content.decode()
    assert card_titles(page) == ["Walnut table"]


def test_a_long_query_is_cut_after_a_whole_word_within_the_limit(client, products):
    page = client.get("/search/", {"q": "walnut " * 500}).content.decode()
    shown = html.unescape(re.search(r'name="q" value="([^"]*)"', page).group(1))
    assert shown == ("walnut " * (SEARCH_QUERY_MAX_LENGTH // 7)).strip()
    assert card_titles(page) == ["Walnut table"]  # the words inside the limit still count
    # One word longer than the limit is cut at the limit.
    page = client.get("/search/", {"q": "x" * 2000}).content.decode()
    assert f'value="{"x" * SEARCH_QUERY_MAX_LENGTH}"' in page


def test_nul_and_control_characters_are_dropped_not_searched(client, products):
    page = client.get("/search/", {"q": "wal\x00nut\x1b"}).content.decode()
    assert 'value="wal nut"' in page
    assert "\x00" not in page and "\x1b" not in page
