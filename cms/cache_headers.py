"""Cache-Control for every response that does not set its own, and what nginx's page cache
(cms/deploy/nginx/catalogue.conf) needs from the app.

Wagtail marks the admin, previews and private pages `never_cache`/`private` itself. Everything
else that is public and the same for every visitor (pages, search, sitemap, documents in
public collections) may be kept by browsers and by a shared cache (nginx, a CDN), which
Wagtail's frontend cache refreshes on publish. A request that carries a session (an editor,
whose pages show the Wagtail userbar; a visitor who gave a page's password) or a response that
sets a cookie is never shared.

nginx cannot tell a real session from a made-up `sessionid` cookie, so it serves both from
its cache when it has a copy (and stores neither's answer). Whenever the app sets its session
cookie it also sets EDGE_CACHE_BYPASS_COOKIE, which nginx checks with its secure_link module
(an MD5 over the expiry time and the shared FRONTEND_CACHE_SECRET): only that cookie lets a
request past the cache. It is short-lived and renewed with every answer to the session.
"""

import base64
import hashlib
import time

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control

SHAREABLE_STATUSES = {200, 301, 404, 410}
NOT_SHARED = {"private", "no-cache", "no-store"}
EDGE_CACHE_BYPASS_COOKIE = "edge_cache_bypass"  # nginx reads it as $cookie_edge_cache_bypass


class EdgeCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        follow_session_cookie(response)
        if response.has_header("Cache-Control"):
            shareable = not NOT_SHARED.intersection(directives(response["Cache-Control"]))
        else:
            shareable = is_shareable(request, response)
            if shareable:
                patch_cache_control(
                    response,
                    public=True,
                    max_age=settings.PAGE_CACHE_MAX_AGE,
                    s_maxage=shared_max_age(request),
                )
            else:
                add_never_cache_headers(response)
                patch_cache_control(response, private=True)
        if is_refresh(request) and not shareable and response.status_code < 500:
            store_expired(response)
        return response


def directives(cache_control):
    return {part.split("=")[0].strip().lower() for part in cache_control.split(",")}


def shared_max_age(request):
    """How long a shared cache keeps the answer. Wagtail refreshes a page's bare URL only: a
    URL with a query string (a filtered or paged listing, a search, the redirect of a page
    that reads none) is kept for PAGE_CACHE_VARIANT_S_MAXAGE, so what it shows of a product
    taken down goes soon."""
    if request.META.get("QUERY_STRING"):
        return settings.PAGE_CACHE_VARIANT_S_MAXAGE
    return settings.PAGE_CACHE_S_MAXAGE


def is_shareable(request, response):
    return (
        request.method in ("GET", "HEAD")
        and response.status_code in SHAREABLE_STATUSES
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not response.cookies
    )


def is_refresh(request):
    """A refresh nginx let through (it sets the header to 1 only with the shared secret)."""
    return request.headers.get("X-Cache-Refresh") == "1"


def store_expired(response):
    """Let nginx keep this answer in place of its old copy, already expired.

    The answer to a refresh that nobody may share (the login redirect of a document moved to a
    private collection) would otherwise leave the old copy cached. `X-Accel-Expires: @1` (an
    expiry in 1970) makes nginx store it anyway, expired, so the next visitor goes to the app.
    nginx 1.22 reads it only before Cache-Control and Expires: it goes first. Cookies are
    dropped: nginx stores no answer that sets one, and the refresh needs none.
    """
    response.cookies.clear()
    headers = list(response.items())
    for name, _ in headers:
        del response[name]
    response["X-Accel-Expires"] = "@1"
    for name, value in headers:
        response[name] = value


def follow_session_cookie(response):
    """Set the bypass cookie whenever the session cookie is set, and delete it with it.

    The session cookie is set on every answer to a signed-in editor (SESSION_SAVE_EVERY_REQUEST),
    so the bypass cookie is renewed as often and may be short-lived: it lasts
    EDGE_CACHE_BYPASS_MAX_AGE (or the session cookie's own max-age, when shorter). nginx cannot
    ask whether a session is still alive; what bounds a copied cookie after a sign-out is its
    expiry. (Signing the session id in as well would not: whoever copies one of these two
    HttpOnly cookies copies the other.)"""
    session_cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    if session_cookie is None or not settings.FRONTEND_CACHE_SECRET:
        return
    if not session_cookie.value:  # logged out: Django deletes the session cookie
        response.delete_cookie(
            EDGE_CACHE_BYPASS_COOKIE,
            path=settings.SESSION_COOKIE_PATH,
            domain=settings.SESSION_COOKIE_DOMAIN,
            samesite=settings.SESSION_COOKIE_SAMESITE,
        )
        return
    max_age = settings.EDGE_CACHE_BYPASS_MAX_AGE
    if session_cookie["max-age"]:
        max_age = min(max_age, int(session_cookie["max-age"]))
    response.set_cookie(
        EDGE_CACHE_BYPASS_COOKIE,
        bypass_cookie_value(int(time.time()) + max_age, settings.FRONTEND_CACHE_SECRET),
        max_age=max_age,
        path=settings.SESSION_COOKIE_PATH,
        domain=settings.SESSION_COOKIE_DOMAIN,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )


def bypass_cookie_value(expires, secret):
    """`<md5>.<expires>` as nginx's `secure_link_md5 "$secure_link_expires edge-cache-bypass
    SECRET"` checks it: MD5 is all secure_link offers; with the secret last, a known value
    cannot be extended into another."""
    digest = hashlib.md5(f"{expires} edge-cache-bypass {secret}".encode()).digest()  # noqa: S324
    return f"{base64.urlsafe_b64encode(digest).decode().rstrip('=')}.{expires}"
