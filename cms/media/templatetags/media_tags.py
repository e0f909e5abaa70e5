"""`{% picture_spec image "NAME" attr=value ... %}`: Wagtail's `{% picture %}` with a named spec,
and `{% rendition_url image "NAME" %}`.

Wagtail's image tags take filter specs only as literals in the template; these tags look the
name up in cms/media/renditions.py when the template is loaded (an unknown name is an error
then) and render through cms/media/pictures.py, which caches the markup.
"""

from django import template

from cms.media import pictures, rights
from cms.media.renditions import SPECS
from cms.site_urls import absolute_url

register = template.Library()


def named_spec(tag_name, name):
    if name not in SPECS:
        raise template.TemplateSyntaxError(
            f"{tag_name}: unknown rendition spec {name!r}; known: {', '.join(sorted(SPECS))}"
        )
    return SPECS[name]


@register.tag
def picture_spec(parser, token):
    tag_name, *bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(
            f'{tag_name} takes an image and a spec name: {{% {tag_name} image "hero" %}}'
        )
    image_expr = parser.compile_filter(bits[0])
    spec = named_spec(tag_name, bits[1].strip("\"'"))
    attrs = {}
    for bit in bits[2:]:
        name, sep, value = bit.partition("=")
        if not sep:
            raise template.TemplateSyntaxError(f"{tag_name}: expected name=value, got {bit!r}")
        attrs[name] = parser.compile_filter(value)
    return SpecPictureNode(image_expr, spec, attrs)


class SpecPictureNode(template.Node):
    def __init__(self, image_expr, spec, attrs):
        self.image_expr = image_expr
        self.spec = spec
        self.attrs = attrs

    def render(self, context):
        try:
            image = self.image_expr.resolve(context)
        except template.VariableDoesNotExist:
            return ""
        if not image:
            return ""
        if not hasattr(image, "get_rendition"):
            raise ValueError(f"picture_spec expects an image, got {image!r}")
        attrs = {key: value.resolve(context) for key, value in self.attrs.items()}
        return pictures.picture_html(image, self.spec, attrs)


@register.simple_tag(takes_context=True)
def rendition_url(context, image, spec_name, absolute=False):
    """URL of the single rendition a named spec describes (e.g. a lightbox's large image);
    with absolute=True, a full URL on the site's root URL, never the request's Host."""
    if not image:
        return ""
    url = pictures.rendition_url(image, SPECS[spec_name])
    return absolute_url(url, context.get("request")) if absolute else url


@register.filter
def is_shown(image):
    """Whether a public page may show `image`: there is one and it has not expired
    (cms/media/rights.py)."""
    return rights.is_shown(image)


@register.filter
def shown_images(images):
    """The images of a list (a gallery) a public page may show, in order."""
    return rights.shown(images or [])
