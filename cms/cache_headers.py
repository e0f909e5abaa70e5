"""Cache-Control for every response that does not set its own.

Wagtail marks the admin, previews and private pages `never_cache`/`private` itself. Everything
else that is public and the same for every visitor (pages, search, sitemap, documents in
public collections) may be kept by browsers and by a shared cache (nginx, a CDN), which
Wagtail's frontend cache purges on publish. A request that carries a session (an editor,
whose pages show the Wagtail userbar) or a response that sets a cookie is never shared.
"""

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control

SHAREABLE_STATUSES = {200, 301, 404, 410}


class EdgeCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if is_shareable(request, response):
            patch_cache_control(
                response,
                public=True,
                max_age=settings.PAGE_CACHE_MAX_AGE,
                s_maxage=settings.PAGE_CACHE_S_MAXAGE,
            )
        else:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


def is_shareable(request, response):
    return (
        request.method in ("GET", "HEAD")
        and response.status_code in SHAREABLE_STATUSES
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not response.cookies
    )
