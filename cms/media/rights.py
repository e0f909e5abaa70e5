"""Image rights: an image is shown on public pages up to and including its `expires` date
(the site's date, cms/clock.py), and never after.

Everything that decides whether a public page, card or API answer shows an image asks
`is_shown` (or filters with `shown_filter`), so the rule lives here once. The decision needs
only the image's own row (`expires` is loaded with it): no page costs a query more for it.
"""

from django.db.models import Q

from cms import clock


def is_expired(image, today=None):
    """Whether `image` is past its last day (never, without an expiry date)."""
    expires = image.expires
    return expires is not None and expires < (today or clock.today())


def is_shown(image):
    """Whether a public page may show `image` (None is not shown)."""
    return image is not None and not is_expired(image)


def shown(images):
    """The images a public page may show, in order."""
    today = clock.today()
    return [image for image in images if image is not None and not is_expired(image, today)]


def shown_filter(prefix=""):
    """A queryset filter for images still shown today (`prefix`: the path to the image)."""
    return Q(**{f"{prefix}expires__isnull": True}) | Q(**{f"{prefix}expires__gte": clock.today()})


def first_shown(*candidates):
    """The first image a public page may show, among `candidates` in order, or None."""
    return next(iter(shown(candidates)), None)
