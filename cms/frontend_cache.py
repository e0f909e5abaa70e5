"""The frontend-cache backend for nginx (cms/deploy/nginx/catalogue.conf).

Wagtail's HTTPBackend sends PURGE, which stock nginx cannot act on: deleting a cached page
needs a third-party module, and nginx never stores the answer to a PURGE request. This
backend asks for the page with GET and the shared secret (FRONTEND_CACHE_SECRET) in
`X-Cache-Refresh` instead: nginx then skips its cache for that request and stores the fresh
answer (the 404 of an unpublished page, the login redirect of a document that became private)
in place of the old one. The secret, not the source address, lets any app server refresh.

nginx says it skipped its cache with `X-Cache-Status: BYPASS`. Any other answer (a wrong
secret is served from the cache like any request), an app error or no answer at all is
logged and fails the refresh task, so it is never counted as done.
"""

import logging
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

from django.core.exceptions import ImproperlyConfigured
from wagtail.contrib.frontend_cache.backends import HTTPBackend

logger = logging.getLogger("wagtail.frontendcache")


class CacheRefreshFailed(Exception):
    """nginx did not replace its copy of one or more URLs."""

    def __init__(self, failures):
        self.failures = failures
        super().__init__("; ".join(failures))


class KeepRedirects(HTTPRedirectHandler):
    """A redirect is the answer to store, not one to follow (with the secret, to anywhere)."""

    def redirect_request(self, *args, **kwargs):
        return None


# No proxy from the environment either: the secret goes to nginx and nowhere else.
opener = build_opener(ProxyHandler({}), KeepRedirects)


class RefreshBackend(HTTPBackend):
    def __init__(self, params):
        params = dict(params)
        self.secret = params.pop("SECRET", "")
        if not self.secret:
            raise ImproperlyConfigured(
                f"{type(self).__name__} needs SECRET (FRONTEND_CACHE_SECRET): nginx honours "
                "only the refreshes that carry it."
            )
        super().__init__(params)

    def purge(self, url):
        self.purge_batch([url])

    def purge_batch(self, urls):
        """Refresh every URL; raise CacheRefreshFailed naming those nginx did not refresh."""
        failures = [failure for url in urls if (failure := self.refresh(url))]
        if failures:
            raise CacheRefreshFailed(failures)

    def refresh(self, url):
        """Ask nginx for `url` past its cache: None when it did, else why not (logged)."""
        parts = urlsplit(url)
        request = Request(  # noqa: S310 - the scheme comes from the configured LOCATION
            urlunsplit([self.cache_scheme, self.cache_netloc, parts.path, parts.query, ""]),
            headers={"Host": parts.netloc, "X-Cache-Refresh": self.secret},
        )
        try:
            with opener.open(request, timeout=30) as response:
                status, cache_status = response.status, response.headers.get("X-Cache-Status")
                response.read()
        except HTTPError as answer:  # 3xx (not followed), 4xx, 5xx: answers all the same
            status, cache_status = answer.code, answer.headers.get("X-Cache-Status")
            answer.close()
        except URLError as error:
            return self.failed(url, f"nginx at {self.cache_netloc} did not answer: {error.reason}")
        if cache_status != "BYPASS":
            return self.failed(
                url,
                f"nginx answered {status} with X-Cache-Status {cache_status or '(none)'}, not "
                "BYPASS: it did not take the request as a refresh (is FRONTEND_CACHE_SECRET "
                "the same in nginx's configuration?)",
            )
        if status >= 500:
            return self.failed(url, f"the app answered {status}; nginx keeps its old copy")
        return None

    def failed(self, url, reason):
        failure = f"{url}: {reason}"
        logger.error("Couldn't refresh %s", failure)
        return failure
