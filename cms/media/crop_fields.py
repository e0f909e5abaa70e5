"""The form field of a per-use focal point (cms/media/crops.py): a hero's on a product page,
a body image's or gallery item's in its block.

It is a plain text input, "x, y, width, height" in the original's pixels (top left corner,
then size), so the form works without JavaScript; static/js/crop-chooser.js turns it into a
rectangle drawn on the picture with a preview of each rendition of the use.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from cms.media.crops import FIELDS, focal_point_problem

HELP = (
    "Crop this use only: x, y, width, height in the original's pixels (top left corner, "
    "then size). Leave empty to follow the image's own focal point."
)


def parse_focal_point(value):
    """A stored focal point (dict) from the form's text or a stored dict; None when empty.
    Raises ValidationError for anything else."""
    if value in (None, "", {}):
        return None
    if isinstance(value, dict):
        numbers = [value.get(name) for name in FIELDS]
    elif isinstance(value, str):
        parts = [part.strip() for part in value.split(",")]
        if len(parts) != 4 or not all(part.isascii() and part.isdigit() for part in parts):
            raise ValidationError(
                "Give four whole numbers: x, y, width, height (e.g. “40, 30, 200, 150”).",
                code="invalid",
            )
        numbers = [int(part) for part in parts]
    else:
        raise ValidationError("Not a focal point.", code="invalid")
    if not all(type(n) is int and n >= 0 for n in numbers) or numbers[2] < 1 or numbers[3] < 1:
        raise ValidationError(
            "x and y are whole numbers from 0, width and height from 1.", code="invalid"
        )
    return dict(zip(FIELDS, numbers, strict=True))


def check_inside(value, image):
    """Raise ValidationError when the stored focal point `value` lies outside `image`."""
    if value and image is not None and image.width and image.height:
        rect = tuple(value[name] for name in FIELDS)
        problem = focal_point_problem(rect, (image.width, image.height))
        if problem:
            raise ValidationError(problem[0].upper() + problem[1:] + ".", code="outside")


class FocalPointInput(forms.TextInput):
    """A text input that crop-chooser.js finds by its `data-crop-chooser` attribute (the use:
    a key of renditions.USE_SPECS). The chooser reads the chosen image from the input whose
    id is this one's with `image` for `focal_point` (`id_hero_image`,
    `body-0-value-image-image`)."""

    def __init__(self, use="image", attrs=None):
        defaults = {
            "data-crop-chooser": use,
            "placeholder": "x, y, width, height",
            "autocomplete": "off",
            "spellcheck": "false",
        }
        super().__init__({**defaults, **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        # Resolved when rendered: the admin's URLs are not loaded when blocks are defined.
        context["widget"]["attrs"]["data-crop-preview-url"] = reverse(
            "media_crop_preview", args=[0]
        )
        return context

    class Media:
        js = ["js/crop-chooser.js"]
        css = {"all": ["css/crop-chooser.css"]}

    def format_value(self, value):
        if isinstance(value, dict):
            return ", ".join(str(value.get(name, "")) for name in FIELDS)
        return super().format_value(value)


class FocalPointFormField(forms.Field):
    widget = FocalPointInput  # give `widget=FocalPointInput(use=...)` for a use other than image

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", HELP)
        kwargs.pop("encoder", None)  # what JSONField passes on
        kwargs.pop("decoder", None)
        super().__init__(**kwargs)

    def to_python(self, value):
        return parse_focal_point(value)

    def has_changed(self, initial, data):
        try:
            return parse_focal_point(initial) != parse_focal_point(data)
        except ValidationError:
            return True


class FocalPointModelField(models.JSONField):
    """A JSON focal point (or null) edited as FocalPointFormField."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": FocalPointFormField, **kwargs})
