"""`{% picture_spec image "NAME" attr=value ... %}`: Wagtail's `{% picture %}` with a named spec.

Wagtail's image tags take filter specs only as literals in the template; this tag looks the
name up in cms/media/renditions.py and hands the specs to Wagtail's own PictureNode.
"""

from django import template
from wagtail.images.templatetags.wagtailimages_tags import PictureNode

from cms.media.renditions import SPECS

register = template.Library()


@register.tag
def picture_spec(parser, token):
    tag_name, *bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError(
            f'{tag_name} takes an image and a spec name: {{% {tag_name} image "hero" %}}'
        )
    image_expr = parser.compile_filter(bits[0])
    spec_name = bits[1].strip("\"'")
    if spec_name not in SPECS:
        raise template.TemplateSyntaxError(
            f"{tag_name}: unknown rendition spec {spec_name!r}; known: {', '.join(sorted(SPECS))}"
        )
    attrs = {}
    for bit in bits[2:]:
        name, sep, value = bit.partition("=")
        if not sep:
            raise template.TemplateSyntaxError(f"{tag_name}: expected name=value, got {bit!r}")
        attrs[name] = parser.compile_filter(value)
    return PictureNode(image_expr, list(SPECS[spec_name].operations), attrs=attrs)


@register.simple_tag
def rendition_url(image, spec_name):
    """URL of the single rendition a named spec describes (e.g. a lightbox's large image)."""
    if not image:
        return ""
    (filter_spec,) = SPECS[spec_name].filter_specs
    return image.get_rendition(filter_spec).url
