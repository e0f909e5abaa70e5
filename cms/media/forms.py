"""Upload forms for the admin (single, multiple and chooser uploads all build on these,
through WAGTAILIMAGES_IMAGE_FORM_BASE and WAGTAILDOCS_DOCUMENT_FORM_BASE).

Our checks run first, in the file field, so that a hostile or broken file becomes a form
error naming the file and the rule, never a server error in Wagtail's or Pillow's code.
The field is swapped in `__init__` rather than declared: Wagtail's multiple-upload edit
forms exclude `file` through Meta, which does not remove a declared field.
"""

from django import forms
from wagtail.documents.forms import BaseDocumentForm
from wagtail.images.fields import WagtailImageField
from wagtail.images.forms import BaseImageForm

from cms.media import metadata
from cms.media.validation import validate_document, validate_image


class CheckedImageField(WagtailImageField):
    def to_python(self, data):
        if data is not None and hasattr(data, "read"):
            validate_image(data, data.name)
        return super().to_python(data)


class CheckedDocumentField(forms.FileField):
    def to_python(self, data):
        if data is not None and hasattr(data, "read"):
            validate_document(data, data.name)
        return super().to_python(data)


def swap_file_field(form, field_class):
    field = form.fields.get("file")
    if field is not None:
        form.fields["file"] = field_class(
            label=field.label, required=field.required, widget=field.widget
        )


class ImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        swap_file_field(self, CheckedImageField)
        if "description" in self.fields:
            self.fields["description"].label = "Alt text (description)"
            self.fields["description"].help_text = (
                "What the image shows, for people who cannot see it. Used wherever the image "
                "appears, unless a page gives its own."
            )

    def save(self, commit=True):
        # Wagtail's form deletes a replaced original and its renditions at once; the model
        # retires them instead, so cached pages keep loading them (cms/media/replaced.py).
        self.original_file = None
        if self.instance._state.adding:
            self.prefill_from_metadata()
        return super().save(commit=commit)

    def prefill_from_metadata(self):
        """A new image's empty credit and alt text, and its title when it is still the file's
        name, from the photo's XMP/IPTC/EXIF (cms/media/metadata.py). Single and multiple
        upload both create the image through this form: the multiple upload's edit form
        then shows what was filled."""
        file = self.cleaned_data.get("file")
        if file is not None and hasattr(file, "read"):
            found = metadata.read_metadata(file, file.name)
            metadata.prefill(self.instance, found, titles=metadata.default_titles(file.name))


class DocumentForm(BaseDocumentForm):
    def __init__(self, *args, **kwargs):
        self.user = kwargs.get("user")  # who replaces the file: its version's uploader
        super().__init__(*args, **kwargs)
        swap_file_field(self, CheckedDocumentField)

    def save(self, commit=True):
        # Wagtail's form deletes a replaced file at once; the model keeps it as an earlier
        # version whose URL redirects to the new file (cms/media/document_versions.py).
        self.original_file = None
        self.instance.changed_by = self.user
        return super().save(commit=commit)
