from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag(takes_context=True)
def catalogue_url(context):
    """URL of the product listing, for the navigation: the page's `catalogue` when its context
    has one (no query), else the first live ProductIndexPage."""
    from products.models import ProductIndexPage

    index = context.get("catalogue") or ProductIndexPage.objects.live().order_by("path").first()
    return index.get_url(context.get("request")) if index else ""


@register.filter
def price(value):
    """A price with its currency, e.g. `129.00 EUR`; empty when there is none."""
    return "" if value is None else f"{value} {settings.CATALOGUE_CURRENCY}"
