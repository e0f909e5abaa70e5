"""Absolute URLs in what the site serves (og:image, JSON-LD, the API's block URLs).

They start with the Wagtail Site's root URL (hostname and port as configured in the admin),
or WAGTAILADMIN_BASE_URL where no site applies; never with the request's Host header, which
the client chooses and a shared cache would then keep for every visitor (`Host:
catalogue.example:6666` must not end up in a cached page). Page URLs already come from the
Site (`{% fullpageurl %}`, `page.get_full_url`).
"""

from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Site


def site_root_url(request=None):
    """`scheme://host[:port]` of the site answering `request` (no query: the serve view has
    found it already), else of WAGTAILADMIN_BASE_URL."""
    site = Site.find_for_request(request) if request is not None else None
    if site is None:
        base = urlsplit(settings.WAGTAILADMIN_BASE_URL)
        return f"{base.scheme}://{base.netloc}"
    return site.root_url


def absolute_url(url, request=None):
    """`url` as a full URL; one that names its host already (object storage) is kept."""
    if urlsplit(url).netloc:
        return url
    return site_root_url(request) + url
