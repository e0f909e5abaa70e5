import re
from urllib.parse import urlencode

from django.db.models import Q
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cms.canonical_urls import redirect_to_query
from cms.media.models import CustomDocument
from cms.media.prefetch import prefetch_renditions
from cms.media.renditions import CARD
from products.models import ProductPage, hero_images, paginate

RESULTS_PER_PAGE = 24
# Longer queries are cut to this many characters (titles and SKUs are far shorter).
SEARCH_QUERY_MAX_LENGTH = 200

# Control characters (NUL among them) are never part of a search; PostgreSQL refuses NUL in
# a query outright.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
WORD = re.compile(r"\w")


def clean_search_query(raw):
    """The query as typed, without control characters, trimmed, and at most
    SEARCH_QUERY_MAX_LENGTH characters, cut after a whole word (a word cut in two would match
    nothing): what the page shows and searches."""
    query = CONTROL_CHARACTERS.sub(" ", raw).strip()
    if len(query) > SEARCH_QUERY_MAX_LENGTH:
        cut = query[:SEARCH_QUERY_MAX_LENGTH]
        word_goes_on = not (cut[-1].isspace() or query[SEARCH_QUERY_MAX_LENGTH].isspace())
        if word_goes_on and len(cut.split()) > 1:
            cut = cut.rsplit(None, 1)[0]
        query = cut
    return query.strip()


def search_terms(query):
    """The words of `query` the search backend is given.

    No double quotes: modelsearch's SQLite (FTS5) backend wraps each term in double quotes
    without escaping one inside it (`12" pan` is a syntax error, a 500); both databases'
    tokenizers split words at a quote anyway, so the same products are found. Only terms with
    a letter or digit: on SQLite a term of punctuation alone (`-`, `&`, an emoji) matches
    nothing, so `walnut - table` would find nothing; PostgreSQL ignores such terms.
    """
    return " ".join(term for term in query.replace('"', " ").split() if WORD.search(term))


@require_GET
def search(request):
    """Full-text search over product title, SKU, summary and body (Wagtail search)."""
    query = clean_search_query(request.GET.get("q", ""))
    results = page_param = None
    if query:
        products = ProductPage.objects.live().public().select_related("hero_image", "category")
        terms = search_terms(query)
        products = products.search(terms) if terms else products.none()
        results, page_param = paginate(products, request.GET.get("page"), RESULTS_PER_PAGE)
    canonical = canonical_search_params(request.GET, page_param)
    if canonical is not None:
        return redirect_to_query(request, canonical)
    if results is not None:
        prefetch_renditions((hero_images(results), [CARD]))
        mark_found_in_documents(list(results), search_terms(query).split())
    return render(
        request,
        "products/search.html",
        {
            "search_query": query,
            "results": results,
            "query_prefix": urlencode({"q": query}) + "&" if query else "",
        },
    )


def mark_found_in_documents(products, words):
    """Set `found_in` on each product that its card alone does not explain (no word of the
    search in its title, SKU or summary) to the title of the first document it lists whose
    text holds a word of the search: the result then says "in: <title>". One query for the
    whole page of results, none when they list no documents."""
    unexplained = {}
    for product in products:
        shown = f"{product.title} {product.sku} {product.summary}".casefold()
        product.found_in = None
        if not any(word.casefold() in shown for word in words):
            unexplained[product] = product.listed_document_ids()
    document_ids = {pk for ids in unexplained.values() for pk in ids}
    if not document_ids or not words:
        return
    holds_a_word = Q()
    for word in words:
        holds_a_word |= Q(text__text__icontains=word)
    titles = dict(
        CustomDocument.objects.filter(holds_a_word, pk__in=document_ids).values_list("pk", "title")
    )
    for product, ids in unexplained.items():
        product.found_in = next((titles[pk] for pk in ids if pk in titles), None)


def canonical_search_params(given, page_param):
    """None when the query string `given` is one search writes itself: a non-empty `q`, and
    `page` only as the number of a page of its results. Otherwise the parameters to redirect
    to, without the others, repeats, empty values and a page that is no number in range (a
    page past the end becomes the last one): one URL, and one cached copy, per search. Values
    are compared decoded: browsers encode a query in more than one way."""
    canonical = [(name, value) for name, value in [("q", given.get("q")), ("page", page_param)]]
    canonical = [(name, value) for name, value in canonical if value]
    as_given = [(name, value) for name in given for value in given.getlist(name)]
    return None if sorted(as_given) == sorted(canonical) else canonical
