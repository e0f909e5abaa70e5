"""One address per answer: what keeps nginx's page cache (cms/deploy/nginx/catalogue.conf)
to one copy of each page, the copy Wagtail's frontend cache refreshes.

nginx keys its cache on the path and the query parameters some page reads (category, sort,
page, q, p), whatever the path. A page that reads none of them would otherwise answer
`/products/lamp/?page=1` with a second copy of itself, which a takedown (a refresh of
`/products/lamp/`) leaves behind. So a GET with a query string to such a page or view is a
permanent redirect to its bare URL: cacheable, tiny, and after a takedown it leads to the
refreshed 404. The listing and search redirect the values they would not use (an unknown
category, a page out of range) to the URL of what they show instead (products/models.py,
products/views.py).
"""

from urllib.parse import urlencode

from django.http import HttpResponsePermanentRedirect
from django.utils.encoding import escape_uri_path

# Views outside Wagtail's page tree that read no query parameter, by URL name.
BARE_URL_VIEWS = {"wagtaildocs_serve", "media_document_serve", "robots"}


def has_query(request):
    """A GET (or HEAD) with a non-empty query string: what a canonical URL may redirect."""
    return request.method in ("GET", "HEAD") and bool(request.META.get("QUERY_STRING"))


def redirect_to_query(request, params=()):
    """A permanent redirect to the requested path with `params` ((name, value) pairs, in
    order) as its query string. Relative, so no request header reaches the Location."""
    path = "/" + escape_uri_path(request.path).lstrip("/")  # never "//host"
    query = urlencode(list(params))
    return HttpResponsePermanentRedirect(f"{path}?{query}" if query else path)


class BareUrlPage:
    """For page models that read no query parameter: their URL with a query string redirects
    to the bare URL (before any query is made)."""

    def serve(self, request, *args, **kwargs):
        if has_query(request):
            return redirect_to_query(request)
        return super().serve(request, *args, **kwargs)


class BareUrlMiddleware:
    """The same for the views named in BARE_URL_VIEWS (documents, robots.txt)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match and match.url_name in BARE_URL_VIEWS and has_query(request):
            return redirect_to_query(request)
        return None
