"""The frontend-cache backend for nginx (cms/deploy/nginx/catalogue.conf).

Wagtail's HTTPBackend sends PURGE, which stock nginx cannot act on: deleting a cached page
needs a third-party module, and nginx never stores the answer to a PURGE request. This
backend asks for the page with GET and `X-Cache-Refresh: 1` instead; nginx (only from
loopback) then bypasses its cache for that request and stores the fresh answer, or the 404 of
an unpublished page, in place of the old one.
"""

import logging
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit, urlunsplit
from urllib.request import Request, urlopen

from wagtail.contrib.frontend_cache.backends import HTTPBackend

logger = logging.getLogger("wagtail.frontendcache")


class RefreshBackend(HTTPBackend):
    def purge(self, url):
        parts = urlsplit(url)
        request = Request(  # noqa: S310 - the scheme comes from the configured LOCATION
            urlunsplit([self.cache_scheme, self.cache_netloc, parts.path, parts.query, ""]),
            headers={"Host": parts.netloc, "X-Cache-Refresh": "1"},
        )
        try:
            with urlopen(request, timeout=30) as response:  # noqa: S310 - configured LOCATION
                response.read()
        except HTTPError as error:
            if error.code != 404:  # an unpublished page: its 404 is now what nginx keeps
                logger.error("Couldn't refresh '%s' in the HTTP cache: %s", url, error)
        except URLError as error:
            logger.error("Couldn't refresh '%s' in the HTTP cache: %s", url, error.reason)
