from urllib.parse import urlencode

from django.shortcuts import render
from django.views.decorators.http import require_GET

from cms.media.prefetch import prefetch_renditions
from cms.media.renditions import CARD
from products.models import ProductPage, paginate

RESULTS_PER_PAGE = 24


@require_GET
def search(request):
    """Full-text search over product title, SKU, summary and body (Wagtail search)."""
    query = request.GET.get("q", "").strip()[:200]
    results = None
    if query:
        products = (
            ProductPage.objects.live().public().select_related("hero_image", "category")
        ).search(query)
        results = paginate(products, request.GET.get("page"), RESULTS_PER_PAGE)
        prefetch_renditions(([p.hero_image for p in results], [CARD]))
    return render(
        request,
        "products/search.html",
        {
            "search_query": query,
            "results": results,
            "query_prefix": urlencode({"q": query}) + "&" if query else "",
        },
    )
