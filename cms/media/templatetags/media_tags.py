"""`{% picture_spec image "NAME" attr=value ... %}`: Wagtail's `{% picture %}` with a named spec.

Wagtail's image tags take filter specs only as literals in the template; this tag looks the
name up in cms/media/renditions.py and renders with Wagtail's own PictureNode and Picture.
"""

from django import template
from wagtail.images.models import Picture
from wagtail.images.templatetags.wagtailimages_tags import (
    PictureNode,
    get_renditions_or_not_found,
)

from cms.media.renditions import SPECS
from cms.site_urls import absolute_url

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
    return SpecPictureNode(image_expr, list(SPECS[spec_name].operations), attrs=attrs)


class OneWidthEachPicture(Picture):
    """Wagtail's Picture, naming each width once per srcset.

    Renditions never upscale, so an original narrower than a spec's largest width gives
    several renditions of one width; a srcset may not repeat a width descriptor (HTML spec),
    and Wagtail's Picture would repeat it. The first rendition of each width is kept.
    """

    @classmethod
    def get_width_srcset(cls, renditions_list):
        by_width = {}
        for rendition in renditions_list:
            by_width.setdefault(rendition.width, rendition)
        return ", ".join(f"{r.url} {r.width}w" for r in by_width.values())


class SpecPictureNode(PictureNode):
    """PictureNode.render, with OneWidthEachPicture in place of Picture."""

    def render(self, context):
        image = self.validate_image(context)
        if not image:
            return ""
        renditions = get_renditions_or_not_found(image, self.get_filters())
        attrs = {key: value.resolve(context) for key, value in self.attrs.items()}
        return OneWidthEachPicture(renditions, attrs).__html__()


@register.simple_tag(takes_context=True)
def rendition_url(context, image, spec_name, absolute=False):
    """URL of the single rendition a named spec describes (e.g. a lightbox's large image);
    with absolute=True, a full URL on the site's root URL, never the request's Host."""
    if not image:
        return ""
    (filter_spec,) = SPECS[spec_name].filter_specs
    url = image.get_rendition(filter_spec).url
    return absolute_url(url, context.get("request")) if absolute else url
