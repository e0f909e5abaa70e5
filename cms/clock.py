"""Today's date in the site's time zone (TIME_ZONE): the one clock that image rights and
expiry read (cms/media/rights.py), so that tests can set it (tests/media/clock.py)."""

from django.utils import timezone


def today():
    """The site's current date."""
    return timezone.localdate()
